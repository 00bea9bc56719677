// One id per test run: every database and Redis key the run makes carries it, and teardown removes
// them. Databases left by a run that crashed are dropped once they are a few hours old.
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import postgres from 'postgres';
import { Redis } from 'ioredis';

export const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const STALE_SEC = 6 * 3600;

declare module 'vitest' {
  export interface ProvidedContext {
    runId: string;
  }
}

export default async function setup(project: TestProject) {
  const runId = `${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
  project.provide('runId', runId);
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const stale = await sql<{ datname: string }[]>`select datname from pg_database where datname like 'dk_t_%'`;
    const cutoff = Date.now() / 1000 - STALE_SEC;
    for (const { datname } of stale) {
      const started = Number(datname.split('_')[2]);
      if (started && started < cutoff) await sql.unsafe(`drop database if exists "${datname}" with (force)`);
    }
  } finally {
    await sql.end();
  }
  return async () => {
    const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
    try {
      const mine = await admin<
        { datname: string }[]
      >`select datname from pg_database where datname like ${`dk_t_${runId}%`}`;
      for (const { datname } of mine) await admin.unsafe(`drop database if exists "${datname}" with (force)`);
    } finally {
      await admin.end();
    }
    const redis = new Redis(REDIS_URL);
    try {
      await deleteByPattern(redis, `*dkt-${runId}-*`);
    } finally {
      redis.disconnect();
    }
  };
}

export async function deleteByPattern(redis: Redis, pattern: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.unlink(...keys);
  } while (cursor !== '0');
}
