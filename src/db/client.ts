// One drizzle handle over either a real Postgres (DATABASE_URL) or an embedded PGlite under
// DATA_DIR. Migrations (drizzle-kit SQL in migrations/) are applied at start under an advisory
// lock, so several processes may start at once.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePostgres, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Db = PostgresJsDatabase<typeof schema>;
export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** The rows of `db.execute`: postgres.js returns them as the result itself, PGlite under `rows`. */
export function rowsOf<T>(result: unknown): T[] {
  return Array.isArray(result) ? (result as T[]) : ((result as { rows?: T[] }).rows ?? []);
}

const MIGRATIONS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');
/** Any constant shared by all processes of the engine: pg_advisory_lock key for migrations. */
const MIGRATION_LOCK = 0x64_6b_6d_67; // "dkmg"

export async function openDatabase(opts: { url?: string; dataDir: string; poolSize?: number }): Promise<Database> {
  if (opts.url) return openPostgres(opts.url, opts.poolSize ?? 10);
  return openPglite(opts.dataDir);
}

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  // Migrate on a dedicated single connection: the advisory lock is held by that session.
  const migrator = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await migrator`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migratePostgres(drizzlePostgres(migrator), { migrationsFolder: MIGRATIONS });
    await migrator`select pg_advisory_unlock(${MIGRATION_LOCK})`;
  } finally {
    await migrator.end({ timeout: 5 });
  }
  const client = postgres(url, { max: poolSize, onnotice: () => {} });
  return { db: drizzlePostgres(client, { schema }), kind: 'postgres', close: () => client.end({ timeout: 5 }) };
}

async function openPglite(dataDir: string): Promise<Database> {
  const dir = path.resolve(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const client = new PGlite(dir);
  const db = drizzle(client, { schema });
  // PGlite is a single-process database: the lock is cheap and keeps the code path the same.
  await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK})`);
  await migrate(db, { migrationsFolder: MIGRATIONS });
  await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK})`);
  // Both drivers expose the same drizzle query API; the engine only uses that common surface.
  return { db: db as unknown as Db, kind: 'pglite', close: () => client.close() };
}
