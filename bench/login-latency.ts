// Login latency while a large registration runs, and the two password hashes' rates.
//
//   npx tsx bench/login-latency.ts [--rows 5000] [--chosen 40]
//
// Starts one engine (its own database dk_bench_login_<tag> and Redis prefix, both removed at the
// end), then measures logins of two probe candidates, one with a chosen password (scrypt) and one
// with a generated one (keyed hash):
//   1. idle;
//   2. while `--rows` rows with generated passwords are registered in one request (the common case:
//      a hospital's sheet without passwords);
//   3. while `--chosen` rows with chosen passwords are registered (scrypt, the bulk priority).
// Needs Postgres on 127.0.0.1:5432 (BENCH_POSTGRES_URL) and Redis on 127.0.0.1:6379 (BENCH_REDIS_URL).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { checkCharacter } from '../src/candidates/id-number.js';
import { HashQueue, PasswordHasher, generatePassword, staticPeppers } from '../src/candidates/password.js';
import { loadConfig } from '../src/config.js';
import { createEngine } from '../src/engine.js';
import { makeLog } from '../src/log.js';

const { values: opts } = parseArgs({
  options: { rows: { type: 'string', default: '5000' }, chosen: { type: 'string', default: '40' } },
});
const ROWS = Number(opts.rows);
const CHOSEN = Number(opts.chosen);
const PG = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN = 'bench-admin-token-0123456789';

let serial = 0;
/** Distinct valid id numbers (Beijing 东城): a birth date per number, unique for the first 10,080. */
function idNumber(): string {
  const n = serial++;
  const year = 1970 + (Math.floor(n / 336) % 30);
  const month = 1 + (Math.floor(n / 28) % 12);
  const day = 1 + (n % 28);
  const body = `110101${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
  return body + checkCharacter(body);
}
const row = (password?: string) => ({
  idNumber: idNumber(),
  name: '压测医生',
  category: '临床',
  scopes: ['内科专业'],
  level: 'physician',
  specialty: 'internal-medicine',
  ...(password ? { password } : {}),
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const summary = (xs: number[]) =>
  xs.length
    ? `n=${xs.length} p50=${pct(xs, 50).toFixed(0)} ms p95=${pct(xs, 95).toFixed(0)} ms max=${Math.max(...xs).toFixed(0)} ms`
    : 'n=0';

async function hashRates() {
  const hasher = new PasswordHasher(staticPeppers(randomBytes(32)), new HashQueue(2));
  let t = performance.now();
  const scrypts = 8;
  await Promise.all(Array.from({ length: scrypts }, () => hasher.hashChosen('a-chosen-password', 'login')));
  const scryptRate = scrypts / ((performance.now() - t) / 1000);
  t = performance.now();
  const fast = 20_000;
  for (let i = 0; i < fast; i++) await hasher.hashGenerated(generatePassword());
  const hmacRate = fast / ((performance.now() - t) / 1000);
  return { scryptRate, hmacRate };
}

async function main() {
  const tag = randomBytes(3).toString('hex');
  const dbName = `dk_bench_login_${tag}`;
  const admin = postgres(PG, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  const prefix = `dkb-login-${tag}.`;
  const config = loadConfig({
    DATABASE_URL: PG.replace(/\/[^/]*$/, `/${dbName}`),
    REDIS_URL: REDIS,
    REDIS_PREFIX: prefix,
    ADMIN_TOKEN: ADMIN,
    DEMO: 'false',
    LOAD_SHIPPED_BANKS: 'false',
    LOG_LEVEL: 'error',
  });
  const engine = await createEngine(config, makeLog('error'));
  const server = serve({ fetch: engine.app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const call = async (method: string, path: string, body: unknown, token = ADMIN) => {
    const r = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  try {
    const now = Date.now();
    await call('PUT', '/v1/admin/cycles/bench', {
      title: 'bench',
      opensAt: new Date(now - 3600_000).toISOString(),
      closesAt: new Date(now + 86_400_000).toISOString(),
      policy: 'beijing',
    });
    const chosenProbe = row('probe-chosen-password');
    const generatedProbe = row();
    const reg = await call('POST', '/v1/admin/cycles/bench/candidates', { candidates: [chosenProbe, generatedProbe] });
    const probes = [
      { kind: 'chosen (scrypt)', idNumber: chosenProbe.idNumber, password: chosenProbe.password! },
      { kind: 'generated (hmac)', idNumber: generatedProbe.idNumber, password: reg.body.results[1].password as string },
    ];
    const loginOnce = async (p: (typeof probes)[number]) => {
      const t = performance.now();
      const r = await call('POST', '/v1/auth/login', { idNumber: p.idNumber, password: p.password });
      if (r.status !== 200) throw new Error(`login ${p.kind}: ${r.status} ${JSON.stringify(r.body)}`);
      return performance.now() - t;
    };
    /** Each probe logs in again and again, on its own, until `done` settles. */
    const loginsDuring = async (done: Promise<unknown>) => {
      const times: Record<string, number[]> = Object.fromEntries(probes.map((p) => [p.kind, []]));
      let finished = false;
      void done.finally(() => (finished = true));
      await Promise.all(
        probes.map(async (p) => {
          while (!finished) times[p.kind]!.push(await loginOnce(p));
        }),
      );
      return times;
    };
    // The engine and this client share one event loop: its longest stall is part of every figure.
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const report = (phase: string, times: Record<string, number[]>) => {
      console.log(`${phase}: longest event-loop stall ${(stalls.max / 1e6).toFixed(0)} ms`);
      stalls.reset();
      for (const [kind, xs] of Object.entries(times))
        console.log(`${phase.padEnd(44)} ${kind.padEnd(18)} ${summary(xs)}`);
    };

    stalls.reset();
    const idle: Record<string, number[]> = Object.fromEntries(probes.map((p) => [p.kind, []]));
    for (let i = 0; i < 10; i++) for (const p of probes) idle[p.kind]!.push(await loginOnce(p));
    report('idle', idle);

    // Three sheets of ROWS rows one after the other, for enough samples.
    stalls.reset();
    let t = performance.now();
    const sheets: { status: number; created: number; sec: number }[] = [];
    const big = (async () => {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const r = await call('POST', '/v1/admin/cycles/bench/candidates', {
          candidates: Array.from({ length: ROWS }, () => row()),
        });
        const created = (r.body.results ?? []).filter((x: { status: string }) => x.status === 'created').length;
        sheets.push({ status: r.status, created, sec: (performance.now() - t0) / 1000 });
      }
    })();
    const during = await loginsDuring(big);
    await big;
    report(`during 3 × ${ROWS} generated-password rows`, during);
    for (const s of sheets) console.log(`  registration: ${s.status}, ${s.created} created in ${s.sec.toFixed(1)} s`);

    stalls.reset();
    t = performance.now();
    const chosen = call('POST', '/v1/admin/cycles/bench/candidates', {
      candidates: Array.from({ length: CHOSEN }, (_, i) => row(`chosen-password-${i}`)),
    });
    const duringChosen = await loginsDuring(chosen);
    const chosenReply = await chosen;
    const chosenSec = (performance.now() - t) / 1000;
    report(`during ${CHOSEN} chosen-password rows`, duringChosen);
    console.log(
      `  registration: ${chosenReply.status}, ${chosenReply.body.results?.filter((r: { status: string }) => r.status === 'created').length} created in ${chosenSec.toFixed(1)} s`,
    );

    const { scryptRate, hmacRate } = await hashRates();
    console.log(
      `hash rates (this process, queue of 2): scrypt N=2^17 ${scryptRate.toFixed(2)} hashes/s, hmac-sha256 ${hmacRate.toFixed(0)} hashes/s`,
    );
  } finally {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    await engine.close();
    await admin.unsafe(`drop database if exists "${dbName}" with (force)`);
    await admin.end();
    const r = new Redis(REDIS);
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
    r.disconnect();
  }
}

await main();
