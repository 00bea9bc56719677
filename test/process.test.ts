// The engine as an operator runs it: real processes, started together, stopped with SIGTERM.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ADMIN_URL, REDIS_URL, deleteByPattern } from './support/global-setup.js';
import { portOf, run, stopAll, until } from './support/processes.js';

let dbName: string;
let dbUrl: string;
let prefix: string;

beforeAll(async () => {
  dbName = `dk_t_${inject('runId')}_p${randomBytes(2).toString('hex')}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  await admin.end();
  dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  prefix = `dkt-${inject('runId')}-proc.`;
});
afterAll(async () => {
  await stopAll();
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
  await admin.end();
  const r = new Redis(REDIS_URL);
  await deleteByPattern(r, `*${prefix}*`);
  r.disconnect();
});

describe('processes', () => {
  it('exits 1 with a message that says how to start Redis when Redis is unreachable', async () => {
    const p = run({ REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: dbUrl, LOAD_SHIPPED_BANKS: 'false' });
    expect(await p.exited).toBe(1);
    expect(p.out()).toContain('Redis is not reachable at redis://127.0.0.1:1');
    expect(p.out()).toContain('redis-server --daemonize yes');
  });

  it('starts three processes at once on a new database (migrations under a lock), serves, and stops cleanly on SIGTERM', async () => {
    const env = {
      DATABASE_URL: dbUrl,
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ADMIN_TOKEN: 'process-test-admin-token',
      PORT: '0',
    };
    const procs = [run({ ...env, ROLE: 'api' }), run({ ...env, ROLE: 'api' }), run({ ...env, ROLE: 'worker' })];
    await Promise.all(procs.map((p) => until(p, '"msg":"engine started"')));
    for (const p of procs.slice(0, 2)) {
      const port = portOf(p);
      const r = await fetch(`http://127.0.0.1:${port}/v1/admin/banks`, {
        headers: { authorization: 'Bearer process-test-admin-token' },
      });
      expect(r.status).toBe(200);
      // The shipped banks were published once, whichever process got there first.
      expect(((await r.json()) as { bankId: string }[]).map((b) => b.bankId)).toEqual(
        expect.arrayContaining(['law', 'internal-medicine']),
      );
    }
    for (const p of procs) p.child.kill('SIGTERM');
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0, 0]);
    for (const p of procs) expect(p.out()).toContain('"msg":"stopped"');
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const versions = await sql`select bank_id, count(*)::int as n from bank_versions group by bank_id`;
    await sql.end();
    expect(versions.every((v) => v.n === 1)).toBe(true);
  });
});
