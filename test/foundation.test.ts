// Banks, cycles, registration, login and the error contract, through HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, ADMIN_TOKEN, type TestEngine } from './support/engine.js';
import { idNumber, makeBank, openWindow, registration } from './support/fixtures.js';
import { login } from './support/sitting.js';
import { createEngine } from '../src/engine.js';
import { makeLog } from '../src/log.js';

let t: TestEngine;

function expectProblem(r: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body).toMatchObject({ status, code });
  expect(typeof r.body.title).toBe('string');
  expect(typeof r.body.type).toBe('string');
  expect(typeof r.body.detail).toBe('string');
}

beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => t?.close());

describe('catalogue', () => {
  it('serves every specialty with its provider and whether it is online', async () => {
    const r = await t.call('GET', '/v1/catalogue');
    expect(r.status).toBe(200);
    const byCode = new Map(r.body.specialties.map((s: any) => [s.code, s]));
    expect(byCode.get('internal-medicine')).toMatchObject({
      name: '内科',
      provider: 'general',
      online: true,
      category: '临床',
    });
    expect(byCode.get('tibetan-medicine')).toMatchObject({ online: false });
    expect(r.body.specialties.filter((s: any) => s.provider === 'cosmetic')).toHaveLength(4);
    expect(r.body.specialties.filter((s: any) => s.provider === 'health-check')).toHaveLength(8);
  });
});

describe('banks', () => {
  it('publishes immutable versions; the same content again is a no-op', async () => {
    const bank = makeBank('surgery', 12, { cases: 1, matchings: 1 });
    const first = await t.admin('PUT', '/v1/admin/banks/surgery', bank);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      bankId: 'surgery',
      version: 1,
      questions: 18,
      byType: { single: 12, case: 3, matching: 3 },
    });
    const again = await t.admin('PUT', '/v1/admin/banks/surgery', bank);
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(1);
    const changed = await t.admin('PUT', '/v1/admin/banks/surgery', makeBank('surgery', 13));
    expect(changed.status).toBe(201);
    expect(changed.body.version).toBe(2);
    const list = await t.admin('GET', '/v1/admin/banks');
    expect(list.body.find((b: any) => b.bankId === 'surgery')).toMatchObject({ version: 2, questions: 13 });
    const versions = await t.admin('GET', '/v1/admin/banks/surgery');
    expect(versions.body.versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(versions.body.versions[1].byTopic).toEqual({ 测试: 12, '(未分类)': 6 });
    // Retiring the newest makes the previous one current again.
    expect((await t.admin('POST', '/v1/admin/banks/surgery/versions/2/retire')).status).toBe(200);
    expect((await t.admin('GET', '/v1/admin/banks')).body.find((b: any) => b.bankId === 'surgery').version).toBe(1);
  });

  it('names the question id and field of every validation error, and stores nothing', async () => {
    const bank = makeBank('pediatrics', 3) as any;
    bank.questions[1].answer = ['Z'];
    bank.questions[2].options[0].text = '';
    bank.questions.push({ ...bank.questions[0] });
    const r = await t.admin('PUT', '/v1/admin/banks/pediatrics', bank);
    expectProblem(r, 400, 'validation_failed');
    expect(r.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ questionId: 'pediatrics-q2', field: 'answer.0' }),
        expect.objectContaining({ questionId: 'pediatrics-q3', field: 'options.0.text' }),
      ]),
    );
    const dup = makeBank('pediatrics', 2) as any;
    dup.questions.push({ ...dup.questions[0] });
    const r2 = await t.admin('PUT', '/v1/admin/banks/pediatrics', dup);
    expect(r2.body.errors).toEqual([
      expect.objectContaining({ questionId: 'pediatrics-q1', field: 'id', message: 'duplicate question id' }),
    ]);
    expectProblem(await t.admin('GET', '/v1/admin/banks/pediatrics'), 404, 'not_found');
    const mismatch = await t.admin('PUT', '/v1/admin/banks/pediatrics', makeBank('other', 2));
    expectProblem(mismatch, 400, 'validation_failed');
  });

  it('refuses a bank that cannot fill a section of an open cycle', async () => {
    await t.admin('PUT', '/v1/admin/cycles/fit', { title: 'fit', ...openWindow(), policy: 'beijing' });
    const r = await t.admin('PUT', '/v1/admin/banks/law', makeBank('law', 15));
    expectProblem(r, 409, 'bank_too_small');
    expect(r.body).toMatchObject({ section: 'law', needed: 20, available: 15, shortfall: 5 });
    expect((await t.admin('PUT', '/v1/admin/banks/law', makeBank('law', 25))).status).toBe(201);
  });
});

describe('several API processes', () => {
  it('another process learns of a new bank version and a changed cycle without a restart', async () => {
    const other = await createEngine(t.engine.config, makeLog('error'));
    try {
      const published = await t.admin('PUT', '/v1/admin/banks/hc-surgery', makeBank('hc-surgery', 5));
      const until = Date.now() + 5000;
      while (other.banks.latest('hc-surgery')?.version !== published.body.version && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      expect(other.banks.latest('hc-surgery')?.version).toBe(published.body.version);
      await t.admin('PUT', '/v1/admin/cycles/shared', { title: '第一版', ...openWindow(), policy: 'beijing' });
      await t.admin('PUT', '/v1/admin/cycles/shared', { title: '第二版', ...openWindow(), policy: 'guangxi' });
      while (other.cycles.get('shared')?.title !== '第二版' && Date.now() < until)
        await new Promise((r) => setTimeout(r, 50));
      expect(other.cycles.get('shared')).toMatchObject({ title: '第二版', policyId: 'guangxi' });
    } finally {
      await other.close();
    }
  });
});

describe('cycles', () => {
  it('takes a built-in policy id or an inline policy, validated', async () => {
    const r = await t.admin('PUT', '/v1/admin/cycles/c2026', { title: '2026', ...openWindow(), policy: 'beijing' });
    expect(r.status).toBe(200);
    expect(r.body.cycle).toMatchObject({ cycleId: 'c2026', policyId: 'beijing' });
    expect(
      r.body.cycle.policy.exams[0].sections.map((s: any) => [s.id, s.durationSec, s.items, s.points, s.passMark]),
    ).toEqual([
      ['law', 1200, 20, 20, 12],
      ['specialty', 2400, 80, 80, 48],
    ]);
    expectProblem(
      await t.admin('PUT', '/v1/admin/cycles/c2', { title: 'x', ...openWindow(), policy: 'atlantis' }),
      400,
      'validation_failed',
    );
    const bad = { id: 'p', title: 'p', exams: [{ id: 'e', maxAttempts: 0, sections: [] }] };
    expectProblem(
      await t.admin('PUT', '/v1/admin/cycles/c2', { title: 'x', ...openWindow(), policy: bad }),
      400,
      'validation_failed',
    );
    const reversed = { title: 'x', opensAt: openWindow().closesAt, closesAt: openWindow().opensAt, policy: 'beijing' };
    expectProblem(await t.admin('PUT', '/v1/admin/cycles/c2', reversed), 400, 'validation_failed');
    expectProblem(
      await t.admin('PUT', '/v1/admin/cycles/c2', { title: 'x', ...openWindow(), policy: 'beijing', extra: 1 }),
      400,
      'validation_failed',
    );
    expectProblem(await t.admin('GET', '/v1/admin/cycles/c2'), 404, 'not_found');
    const gx = await t.admin('PUT', '/v1/admin/cycles/gx', { title: '广西', ...openWindow(), policy: 'guangxi' });
    expect(gx.body.cycle.policy.exams.map((e: any) => [e.id, e.maxAttempts])).toEqual([
      ['humanities', 10],
      ['business', 1],
    ]);
  });
});

describe('registration', () => {
  beforeAll(async () => {
    await t.admin('PUT', '/v1/admin/cycles/reg', { title: 'reg', ...openWindow(), policy: 'beijing' });
  });

  it('answers one result per row: created, updated, rejected with a code', async () => {
    const good = registration();
    const noPassword = registration({ password: undefined });
    const rows = [
      good,
      noPassword,
      registration({ idNumber: '110105194912310021' }),
      registration({ specialty: 'stomatology' }),
      registration({ specialty: 'cosmetic-surgery', scopes: ['外科专业'] }),
      registration({ bogus: true }),
      registration({ specialty: 'no-such-specialty' }),
    ];
    const r = await t.admin('POST', '/v1/admin/cycles/reg/candidates', { candidates: rows });
    expect(r.status).toBe(200);
    const res = r.body.results;
    expect(res.map((x: any) => x.status)).toEqual([
      'created',
      'created',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
    ]);
    expect(res[0].password).toBeUndefined();
    expect(res[1].password).toMatch(/^[2-9a-zA-Z]{17}$/);
    expect(res.slice(2).map((x: any) => x.code)).toEqual([
      'invalid_id_number',
      'specialty_not_permitted',
      'specialty_not_permitted',
      'validation_failed',
      'validation_failed',
    ]);
    // The hot profile is in Redis from registration on: the first start needs no Postgres read.
    const { redis, keys } = t.engine;
    expect(await redis.hgetall(keys.profile(res[0].candidateId))).toMatchObject({
      cycle: 'reg',
      specialty: 'internal-medicine',
      level: 'physician',
    });
    expect(await redis.hget(keys.state(res[0].candidateId), 'loaded')).toBe('1');
    // The generated password works, once registered.
    await login(t, noPassword.idNumber, res[1].password);
    // The same person again is an update; the old password still works when none is given.
    const again = await t.admin('POST', '/v1/admin/cycles/reg/candidates', {
      candidates: [{ ...good, password: undefined, name: '改名' }],
    });
    expect(again.body.results[0]).toMatchObject({ status: 'updated' });
    expect(again.body.results[0].password).toBeUndefined();
    const token = await login(t, good.idNumber, good.password);
    const me = await t.call('GET', '/v1/me', { token });
    expect(me.body.candidate).toMatchObject({ name: '改名', specialty: 'internal-medicine', cycleId: 'reg' });
    expect(me.body.candidate.idNumber).not.toContain(good.idNumber.slice(6, 14));
    expect(me.body).toMatchObject({
      attempts: { used: 0, max: 3, remaining: 3 },
      outcome: 'not_started',
      activeAttemptId: null,
    });
  });

  it('takes a CSV sheet with Chinese headers', async () => {
    const id1 = idNumber();
    const id2 = idNumber();
    const csv = `身份证号,姓名,执业类别,执业范围,级别,报考专业,密码\n${id1},李四,临床,内科专业、外科专业,执业医师,外科,secret-pass-1\n${id2},王五,口腔,口腔专业,执业助理医师,内科,secret-pass-2\n`;
    const r = await t.call('POST', '/v1/admin/cycles/reg/candidates', {
      token: ADMIN_TOKEN,
      raw: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(r.status).toBe(200);
    expect(r.body.results).toEqual([
      expect.objectContaining({ idNumber: id1, status: 'created' }),
      expect.objectContaining({ idNumber: id2, status: 'rejected', code: 'specialty_not_permitted' }),
    ]);
  });

  it('rejects a cycle that does not exist and a body that is not a list', async () => {
    expectProblem(
      await t.admin('POST', '/v1/admin/cycles/nope/candidates', { candidates: [registration()] }),
      404,
      'not_found',
    );
    expectProblem(
      await t.admin('POST', '/v1/admin/cycles/reg/candidates', { candidates: 'x' }),
      400,
      'validation_failed',
    );
    expectProblem(await t.admin('POST', '/v1/admin/cycles/reg/candidates', { people: [] }), 400, 'validation_failed');
  });
});

describe('login and sessions', () => {
  let reg: ReturnType<typeof registration>;
  beforeAll(async () => {
    await t.admin('PUT', '/v1/admin/cycles/auth', { title: 'auth', ...openWindow(), policy: 'beijing' });
    reg = registration();
    await t.admin('POST', '/v1/admin/cycles/auth/candidates', { candidates: [reg] });
  });

  it('returns an opaque token with an expiry; a wrong password is 401', async () => {
    const r = await t.call('POST', '/v1/auth/login', { body: { idNumber: reg.idNumber, password: reg.password } });
    expect(r.status).toBe(200);
    expect(Date.parse(r.body.expiresAt)).toBeGreaterThan(Date.now());
    expect(r.body.token).not.toContain(reg.idNumber);
    expectProblem(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: reg.idNumber, password: 'wrong-password' } }),
      401,
      'unauthenticated',
    );
    expectProblem(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: idNumber(), password: 'whatever1' } }),
      401,
      'unauthenticated',
    );
    // Logging out ends the session.
    const token = r.body.token;
    expect((await t.call('POST', '/v1/auth/logout', { token })).status).toBe(204);
    expectProblem(await t.call('GET', '/v1/me', { token }), 401, 'unauthenticated');
  });

  it('rate limits repeated failures, even for the right password, with Retry-After', async () => {
    const victim = registration();
    await t.admin('POST', '/v1/admin/cycles/auth/candidates', { candidates: [victim] });
    for (let i = 0; i < 5; i++)
      await t.call('POST', '/v1/auth/login', { body: { idNumber: victim.idNumber, password: `guess-${i}` } });
    const r = await t.call('POST', '/v1/auth/login', {
      body: { idNumber: victim.idNumber, password: victim.password },
    });
    expectProblem(r, 429, 'rate_limited');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('keeps admin and candidate roles apart', async () => {
    const token = await login(t, reg.idNumber, reg.password);
    expectProblem(await t.call('GET', '/v1/admin/banks', { token }), 403, 'forbidden');
    expectProblem(await t.call('GET', '/v1/admin/banks'), 401, 'unauthenticated');
    expectProblem(await t.call('GET', '/v1/me', { token: ADMIN_TOKEN }), 401, 'unauthenticated');
    expectProblem(await t.call('GET', '/v1/me'), 401, 'unauthenticated');
    expectProblem(
      await t.call('GET', '/v1/me', { token: `${token.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA` }),
      401,
      'unauthenticated',
    );
    expectProblem(await t.call('POST', '/v1/attempts', { token: 'garbage', body: {} }), 401, 'unauthenticated');
  });
});

describe('bad input never changes anything and never answers 5xx', () => {
  it('malformed JSON, wrong types, unknown fields, oversize bodies, unknown routes', async () => {
    const r1 = await t.call('PUT', '/v1/admin/cycles/x', {
      token: ADMIN_TOKEN,
      raw: '{"title": ',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(r1, 400, 'validation_failed');
    expectProblem(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: 123, password: [] } }),
      400,
      'validation_failed',
    );
    expectProblem(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: 'x', password: 'y', remember: true } }),
      400,
      'validation_failed',
    );
    const big = 'x'.repeat(1024 * 1024 + 10);
    expectProblem(
      await t.call('POST', '/v1/auth/login', {
        raw: JSON.stringify({ idNumber: big, password: 'p' }),
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'payload_too_large',
    );
    expectProblem(await t.call('GET', '/v1/nothing-here'), 404, 'not_found');
    const huge = makeBank('huge', 1) as any;
    huge.questions[0].stem = 'x'.repeat(1024 * 1024);
    expectProblem(await t.admin('PUT', '/v1/admin/banks/huge', huge), 413, 'payload_too_large');
    expectProblem(await t.admin('GET', '/v1/admin/banks/huge'), 404, 'not_found');
  });

  it('answers a fuzz of odd bodies on every route with 4xx problem+json', async () => {
    const reg = registration();
    await t.admin('PUT', '/v1/admin/cycles/fz', { title: 'fz', ...openWindow(), policy: 'beijing' });
    await t.admin('POST', '/v1/admin/cycles/fz/candidates', { candidates: [reg] });
    const token = await login(t, reg.idNumber, reg.password);
    const bodies = [
      'null',
      '[]',
      '"x"',
      '1',
      '{}',
      '{"answers": null}',
      '{"answers": {"q": "A"}}',
      '{"answers": {"q": ["AB"]}}',
      '{"a":',
      '\u0000',
    ];
    const routes: [string, string, string][] = [
      ['POST', '/v1/auth/login', ''],
      ['PUT', '/v1/admin/banks/fz', ADMIN_TOKEN],
      ['PUT', '/v1/admin/cycles/fz2', ADMIN_TOKEN],
      ['POST', '/v1/admin/cycles/fz/candidates', ADMIN_TOKEN],
      ['POST', '/v1/attempts', token],
      ['PUT', '/v1/attempts/AAAAAAAAAAAAAAAA/answers', token],
      ['POST', '/v1/attempts/AAAAAAAAAAAAAAAA/sections/law/submit', token],
      ['GET', '/v1/attempts/%00', token],
    ];
    for (const [method, path, auth] of routes)
      for (const raw of bodies) {
        const r = await t.call(method, path, {
          token: auth || undefined,
          raw: method === 'GET' ? undefined : raw,
          headers: { 'content-type': 'application/json' },
        });
        expect(r.status, `${method} ${path} ${raw} → ${r.text}`).toBeGreaterThanOrEqual(400);
        expect(r.status, `${method} ${path} ${raw} → ${r.text}`).toBeLessThan(500);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
    expectProblem(await t.admin('GET', '/v1/admin/cycles/fz2'), 404, 'not_found');
  });
});
