// Exam-day safety of login and sessions, against a real engine: limits that a parallel burst cannot
// pass, a per-address limit a hospital behind one NAT address never trips, the proxy's address and
// not the client's, sessions that end with a password change, and unknown tokens that cost Postgres
// one query, not one per request.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestEngine, type TestEngine } from './support/engine.js';
import { REDIS_URL } from './support/global-setup.js';
import { idNumber, openWindow, registration } from './support/fixtures.js';
import { login } from './support/sitting.js';

/** Default limits, connections seen as 127.0.0.1 (TRUST_PROXY off). */
let t: TestEngine;
/** Behind a trusted proxy, with a per-address limit of 50 so that a test can reach it. */
let proxied: TestEngine;
let redis: Redis;
let sql: postgres.Sql;
const ADDRESS_LIMIT = 50;

beforeAll(async () => {
  [t, proxied] = await Promise.all([
    startTestEngine(),
    startTestEngine({ TRUST_PROXY: 'true', LOGIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT) }),
  ]);
  redis = new Redis(REDIS_URL);
  sql = postgres(t.dbUrl, { max: 2, onnotice: () => {} });
  await t.admin('PUT', '/v1/admin/cycles/safe', { title: 'safe', ...openWindow(), policy: 'beijing' });
});
afterAll(async () => {
  await sql?.end();
  redis?.disconnect();
  await Promise.all([t?.close(), proxied?.close()]);
});

const attempt = (e: TestEngine, id: string, password: string, forwardedFor?: string) =>
  e.call('POST', '/v1/auth/login', {
    body: { idNumber: id, password },
    ...(forwardedFor ? { headers: { 'x-forwarded-for': forwardedFor } } : {}),
  });

const tally = (statuses: number[]) =>
  statuses.reduce<Record<number, number>>((m, s) => ((m[s] = (m[s] ?? 0) + 1), m), {});

async function register(e: TestEngine, rows: Record<string, unknown>[]) {
  const r = await e.admin('POST', '/v1/admin/cycles/safe/candidates', { candidates: rows });
  expect(r.status, r.text).toBe(200);
  for (const res of r.body.results) expect(res.status, JSON.stringify(res)).not.toBe('rejected');
  return r.body.results as { idNumber: string; candidateId: string; password?: string; status: string }[];
}

async function until(what: () => Promise<boolean>, ms = 20_000) {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('per-id limit', { timeout: 120_000 }, () => {
  it('a parallel burst of 30 wrong passwords and the right one: at most 5 guesses are checked, the right one is refused while locked', async () => {
    const victim = registration();
    await register(t, [victim]);
    const idKey = t.engine.keys.loginFailures(victim.idNumber);
    const wrong = Array.from({ length: 30 }, (_, i) => attempt(t, victim.idNumber, `guess-${i}-wrong`));
    // The right password arrives while the wrong ones are still being checked (scrypt takes a while).
    await until(async () => Number(await redis.get(idKey)) >= 5);
    const right = await attempt(t, victim.idNumber, victim.password);
    const statuses = (await Promise.all(wrong)).map((r) => r.status);
    const counts = tally(statuses);
    console.log(`burst for one id: wrong ${JSON.stringify(counts)}, right ${right.status}`);
    expect(counts[401]).toBe(5);
    expect(counts[429]).toBe(25);
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('rate_limited');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(await redis.get(idKey))).toBe(5);
    // Still locked afterwards.
    expect((await attempt(t, victim.idNumber, victim.password)).status).toBe(429);
  });

  it('all 31 at once: a wrong guess is checked at most 5 times, or 9 when the right password came first and cleared the count', async () => {
    const victim = registration();
    await register(t, [victim]);
    const all = await Promise.all([
      ...Array.from({ length: 15 }, (_, i) => attempt(t, victim.idNumber, `early-${i}-wrong`)),
      attempt(t, victim.idNumber, victim.password),
      ...Array.from({ length: 15 }, (_, i) => attempt(t, victim.idNumber, `late-${i}-wrong`)),
    ]);
    const right = all[15]!.status;
    const wrong = tally(all.filter((_, i) => i !== 15).map((r) => r.status));
    console.log(`simultaneous burst: wrong ${JSON.stringify(wrong)}, right ${right}`);
    expect([200, 429]).toContain(right);
    expect(wrong[401] ?? 0).toBeLessThanOrEqual(right === 200 ? 9 : 5);
    expect((wrong[401] ?? 0) + (wrong[429] ?? 0)).toBe(30);
  });

  it('a right password clears earlier typos', async () => {
    const doctor = registration();
    await register(t, [doctor]);
    for (let i = 0; i < 4; i++) expect((await attempt(t, doctor.idNumber, `typo-${i}-x`)).status).toBe(401);
    await login(t, doctor.idNumber, doctor.password);
    expect(await redis.exists(t.engine.keys.loginFailures(doctor.idNumber))).toBe(0);
    for (let i = 0; i < 4; i++) expect((await attempt(t, doctor.idNumber, `typo-${i}-y`)).status).toBe(401);
    await login(t, doctor.idNumber, doctor.password);
  });
});

describe('per-address limit', { timeout: 120_000 }, () => {
  it('200 parallel failures from one address over 200 ids: at most the address limit are checked', async () => {
    const statuses = (
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          // A client that writes its own X-Forwarded-For entries gains nothing.
          attempt(proxied, `NOBODY${i}`, 'wrong-password', `10.0.${i % 250}.1, 198.51.100.1`),
        ),
      )
    ).map((r) => r.status);
    const counts = tally(statuses);
    console.log(`200 parallel failures from one address (limit ${ADDRESS_LIMIT}): ${JSON.stringify(counts)}`);
    expect(counts[401]).toBe(ADDRESS_LIMIT);
    expect(counts[429]).toBe(200 - ADDRESS_LIMIT);
    expect(Number(await redis.get(proxied.engine.keys.loginFailuresByAddress('198.51.100.1')))).toBe(ADDRESS_LIMIT);
  });

  it('a hospital behind one address: 300 doctors mistyping their passwords are never refused for the address', async () => {
    const doctors = Array.from({ length: 300 }, () => registration({ idNumber: idNumber(), password: undefined }));
    const results = await register(t, doctors);
    const statuses: number[] = [];
    // In waves, as a hospital's doctors arrive: the limit is not outrun by doing it all at once.
    for (let i = 0; i < results.length; i += 50)
      statuses.push(
        ...(await Promise.all(results.slice(i, i + 50).map((d) => attempt(t, d.idNumber, `${d.password}-typo`)))).map(
          (r) => r.status,
        ),
      );
    const counts = tally(statuses);
    console.log(`hospital, 300 failures from 127.0.0.1 over 300 ids: ${JSON.stringify(counts)}`);
    expect(counts).toEqual({ 401: 300 });
    // And then they log in.
    for (const d of results.slice(0, 5)) await login(t, d.idNumber, d.password!);
  });
});

describe('TRUST_PROXY', { timeout: 120_000 }, () => {
  it('counts by the rightmost X-Forwarded-For entry (the proxy appended it), never by what the client wrote', async () => {
    const key = (a: string) => proxied.engine.keys.loginFailuresByAddress(a);
    const fails = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        attempt(proxied, `NOONE${i}`, 'wrong-password', `203.0.113.${i + 1}, 192.0.2.77`),
      ),
    );
    expect(fails.map((r) => r.status)).toEqual(Array(10).fill(401));
    expect(Number(await redis.get(key('192.0.2.77')))).toBe(10);
    for (let i = 1; i <= 10; i++) expect(await redis.exists(key(`203.0.113.${i}`))).toBe(0);
    // Several headers are joined in order: the last one's last entry is still the proxy's.
    const two = await proxied.call('POST', '/v1/auth/login', {
      body: { idNumber: 'NOONE-X', password: 'wrong-password' },
      headers: { 'x-forwarded-for': '203.0.113.50, 192.0.2.78' },
    });
    expect(two.status).toBe(401);
    expect(Number(await redis.get(key('192.0.2.78')))).toBe(1);
    // Without TRUST_PROXY the header means nothing: the TCP peer is counted.
    const before = Number((await redis.get(t.engine.keys.loginFailuresByAddress('127.0.0.1'))) ?? 0);
    expect((await attempt(t, 'NOONE-Y', 'wrong-password', '192.0.2.79')).status).toBe(401);
    expect(await redis.exists(t.engine.keys.loginFailuresByAddress('192.0.2.79'))).toBe(0);
    expect(Number(await redis.get(t.engine.keys.loginFailuresByAddress('127.0.0.1')))).toBe(before + 1);
  });

  it('an address or id number of any length or content becomes a bounded key', async () => {
    const long = 'Z'.repeat(32);
    expect((await attempt(proxied, long, 'wrong-password', '2001:db8:1:2::99')).status).toBe(401);
    expect(proxied.engine.keys.loginFailures(long).length).toBeLessThan(120);
    // An IPv6 client is counted by its /64.
    expect(Number(await redis.get(proxied.engine.keys.loginFailuresByAddress('2001:db8:1:2::/64')))).toBe(1);
    expect(proxied.engine.keys.loginFailuresByAddress('x'.repeat(10_000)).length).toBeLessThan(120);
  });
});

describe('sessions', { timeout: 120_000 }, () => {
  const sessionKeys = (e: TestEngine, candidateId: string) => redis.keys(`${e.prefix}ex:{c:${candidateId}}:s:*`);
  const rows = async (candidateId: string) =>
    Number((await sql`select count(*)::int as n from sessions where candidate_id = ${candidateId}`)[0]!.n);

  it('a registration that changes the password ends every session of that candidate; the same password again ends none', async () => {
    const doctor = registration();
    const { candidateId } = (await register(t, [doctor]))[0]!;
    const tokens = [await login(t, doctor.idNumber, doctor.password), await login(t, doctor.idNumber, doctor.password)];
    for (const token of tokens) expect((await t.call('GET', '/v1/me', { token })).status).toBe(200);
    expect(await rows(candidateId)).toBe(2);
    expect(await sessionKeys(t, candidateId)).toHaveLength(2);

    // The same sheet again: nothing changed.
    expect((await register(t, [doctor]))[0]!.status).toBe('updated');
    for (const token of tokens) expect((await t.call('GET', '/v1/me', { token })).status).toBe(200);

    await register(t, [{ ...doctor, password: 'a-new-password-2026' }]);
    expect(await rows(candidateId)).toBe(0);
    expect(await sessionKeys(t, candidateId)).toHaveLength(0);
    for (const token of tokens) expect((await t.call('GET', '/v1/me', { token })).status).toBe(401);
    expect((await attempt(t, doctor.idNumber, doctor.password)).status).toBe(401);
    await login(t, doctor.idNumber, 'a-new-password-2026');
  });

  it('expired sessions are purged: at the candidate’s login, and in bounded batches for everyone', async () => {
    const [a, b] = [registration(), registration()];
    const [ra, rb] = await register(t, [a, b]);
    const expired = (cid: string, n: number) =>
      sql`insert into sessions ${sql(
        Array.from({ length: n }, () => ({
          token_hash: randomBytes(32).toString('base64url'),
          candidate_id: cid,
          expires_at: new Date(Date.now() - 60_000),
        })),
      )}`;
    await expired(ra!.candidateId, 3);
    await expired(rb!.candidateId, 4);
    await login(t, a.idNumber, a.password);
    expect(await rows(ra!.candidateId)).toBe(1); // the new one
    expect(await rows(rb!.candidateId)).toBe(4);
    expect(await t.engine.candidates.purgeExpiredSessions(2)).toBe(2);
    while ((await t.engine.candidates.purgeExpiredSessions(2)) > 0);
    expect(await rows(rb!.candidateId)).toBe(0);
    expect(await rows(ra!.candidateId)).toBe(1);
  });

  it('a well-formed unknown token is 401, and asks Postgres once, not on every request', async () => {
    const doctor = registration();
    const { candidateId } = (await register(t, [doctor]))[0]!;
    const token = `${candidateId}.${randomBytes(24).toString('base64url')}`;
    const lookups = vi.spyOn(t.engine.candidates, 'findSession');
    try {
      for (let i = 0; i < 5; i++) expect((await t.call('GET', '/v1/me', { token })).status).toBe(401);
      expect(lookups).toHaveBeenCalledTimes(1);
      const tokenHash = (await import('../src/candidates/service.js')).hashToken(token);
      const miss = t.engine.keys.sessionMiss(candidateId, tokenHash);
      expect(await redis.exists(miss)).toBe(1);
      expect(await redis.ttl(miss)).toBeGreaterThan(0);
      expect(await redis.exists(t.engine.keys.session(candidateId, tokenHash))).toBe(0);

      // A real session Redis lost is still put back from Postgres.
      const real = await login(t, doctor.idNumber, doctor.password);
      await redis.del(
        t.engine.keys.session(candidateId, (await import('../src/candidates/service.js')).hashToken(real)),
      );
      expect((await t.call('GET', '/v1/me', { token: real })).status).toBe(200);
      expect(lookups).toHaveBeenCalledTimes(2);
    } finally {
      lookups.mockRestore();
    }
  });
});
