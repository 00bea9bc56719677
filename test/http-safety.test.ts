// Exam-day safety of the HTTP layer: text the database cannot store is a 400 that names its field,
// logs hold no personal data or SQL parameters, exports never start a formula, every answer carries
// the safety headers, and a client that stalls half way through its body is cut.
import { connect } from 'node:net';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onError } from '../src/http/app.js';
import type { AppEnv } from '../src/http/env.js';
import { makeLog } from '../src/log.js';
import { startTestEngine, type TestEngine, type TestResponse } from './support/engine.js';
import { idNumber, makeBank, openWindow, registration } from './support/fixtures.js';
import { login } from './support/sitting.js';

let t: TestEngine;
const logs: string[] = [];
const REQUEST_TIMEOUT_MS = 1500;

const mini = {
  id: 'mini',
  title: '安全测试',
  exams: [
    {
      id: 'business',
      maxAttempts: 3,
      sections: [{ id: 'law', title: '法律法规', bank: 'law', durationSec: 600, items: 2, points: 2, passMark: 1 }],
    },
  ],
};

function expectValidation(r: TestResponse, field: string) {
  expect(r.status, r.text).toBe(400);
  expect(r.headers.get('content-type')).toContain('application/problem+json');
  expect(r.body).toMatchObject({ status: 400, code: 'validation_failed' });
  expect(r.body.detail).toContain(field);
}

beforeAll(async () => {
  t = await startTestEngine(
    { LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HEADERS_TIMEOUT_MS: '1000' },
    { logSink: (line) => logs.push(line) },
  );
  expect((await t.admin('PUT', '/v1/admin/banks/law', makeBank('law', 6))).status).toBe(201);
  expect((await t.admin('PUT', '/v1/admin/cycles/safe', { title: '安全', ...openWindow(), policy: mini })).status).toBe(
    200,
  );
});
afterAll(async () => t?.close());

describe('text the database cannot store', () => {
  it('login: NUL, a lone surrogate or an over-long value is 400 naming the field, unauthenticated', async () => {
    expectValidation(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: '11010219900101\u00001234', password: 'x' } }),
      'idNumber',
    );
    expectValidation(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: idNumber(), password: 'pass\ud800word' } }),
      'password',
    );
    expectValidation(
      await t.call('POST', '/v1/auth/login', { body: { idNumber: '1'.repeat(33), password: 'x' } }),
      'idNumber',
    );
  });

  it('registration: bad rows are rejected with the field named, the good rows of the batch are created', async () => {
    const good = [registration(), registration()];
    const r = await t.admin('POST', '/v1/admin/cycles/safe/candidates', {
      candidates: [
        good[0],
        registration({ name: '坏\u0000名字' }),
        registration({ name: '\ud800张三' }),
        registration({ scopes: ['内科专业\u0007'] }),
        registration({ idNumber: '1101\u0000' }),
        good[1],
      ],
    });
    expect(r.status, r.text).toBe(200);
    const results = r.body.results;
    expect(results.map((x: any) => x.status)).toEqual([
      'created',
      'rejected',
      'rejected',
      'rejected',
      'rejected',
      'created',
    ]);
    for (const [i, field] of [
      [1, 'name'],
      [2, 'name'],
      [3, 'scopes.0'],
      [4, 'idNumber'],
    ] as const) {
      expect(results[i]).toMatchObject({ status: 'rejected', code: 'validation_failed' });
      expect(results[i].detail.startsWith(`${field}:`), results[i].detail).toBe(true);
    }
    for (const g of good) await login(t, g.idNumber, g.password);
  });

  it('cycles: a bad title, or a bad title inside an inline policy, is 400 naming the field', async () => {
    expectValidation(
      await t.admin('PUT', '/v1/admin/cycles/bad-text', { title: '周期\u0000', ...openWindow(), policy: 'beijing' }),
      'title',
    );
    const policy = structuredClone(mini);
    policy.exams[0]!.sections[0]!.title = '法律\ud83d法规';
    expectValidation(
      await t.admin('PUT', '/v1/admin/cycles/bad-text', { title: '周期', ...openWindow(), policy }),
      'policy.exams.0.sections.0.title',
    );
    policy.exams[0]!.sections[0]!.title = '法律法规';
    const title = { ...policy, title: 'x\u0000' };
    expectValidation(
      await t.admin('PUT', '/v1/admin/cycles/bad-text', { title: '周期', ...openWindow(), policy: title }),
      'policy.title',
    );
  });

  it('banks: NUL or a lone surrogate in a stem, option or topic is 400 naming question and field', async () => {
    const bank = makeBank('bad-text', 4) as any;
    bank.questions[1].stem = '题干\u0000';
    bank.questions[2].options[0].text = '选项\udc00';
    bank.questions[3].topic = '知识点\u001b';
    const r = await t.admin('PUT', '/v1/admin/banks/bad-text', bank);
    expectValidation(r, 'bad-text-q2.stem');
    expect(r.body.detail).toContain('bad-text-q3.options.0.text');
    expect(r.body.detail).toContain('bad-text-q4.topic');
    // Multi-line text keeps its tabs and line breaks.
    const fine = makeBank('fine-text', 4) as any;
    fine.questions[0].stem = '第一行\r\n第二行\t缩进';
    expect((await t.admin('PUT', '/v1/admin/banks/fine-text', fine)).status).toBe(201);
  });

  it('defence in depth: a Postgres error about bad text is 400 validation_failed, others stay 500', async () => {
    const db = t.engine.database.db;
    const app = new Hono<AppEnv>();
    app.onError(onError(makeLog('silent')));
    const queries: Record<string, () => Promise<unknown>> = {
      nul_text: () => db.execute(sql`select ${'a\u0000b'}::text`),
      nul_jsonb: () => db.execute(sql`select ${JSON.stringify({ a: 'x\u0000' })}::jsonb`),
      surrogate_jsonb: () => db.execute(sql`select ${JSON.stringify({ a: 'x\ud800' })}::jsonb`),
      other: () => db.execute(sql`select 1 / ${0}::int`),
    };
    for (const [name, run] of Object.entries(queries))
      app.get(`/${name}`, async (c) => {
        await run();
        return c.text('ran');
      });
    for (const name of ['nul_text', 'nul_jsonb', 'surrogate_jsonb']) {
      const r = await app.request(`/${name}`);
      expect(r.status, name).toBe(400);
      expect(await r.json()).toMatchObject({ code: 'validation_failed' });
    }
    expect((await app.request('/other')).status).toBe(500);
  });
});

describe('logs', () => {
  it('a database error names its SQLSTATE and request id, never the id number, name, hash or parameters', async () => {
    const admin = postgres(t.dbUrl, { max: 1, onnotice: () => {} });
    const name = '日志测试员';
    const id = idNumber();
    await admin.unsafe(`alter table candidates add constraint safety_test_no_name check (name <> '${name}')`);
    try {
      const before = logs.length;
      const r = await t.admin('POST', '/v1/admin/cycles/safe/candidates', {
        candidates: [registration({ idNumber: id, name })],
      });
      expect(r.status).toBe(500);
      expect(r.body.code).toBe('internal_error');
      const reqId = r.headers.get('x-request-id');
      expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
      const lines = logs.slice(before);
      const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
      expect(line, lines.join('\n')).toMatchObject({
        level: 'error',
        reqId,
        path: '/v1/admin/cycles/safe/candidates',
        error: { code: '23514' },
      });
      const text = lines.join('\n');
      expect(text).not.toContain(id);
      expect(text).not.toContain(id.slice(6, 14)); // the birth date part, masked
      expect(text).not.toContain(name);
      expect(text).not.toMatch(/scrypt\$\d/);
      expect(text).not.toContain('correct-horse-battery');
      expect(text).not.toMatch(/params:\s*\S+,/);
    } finally {
      await admin.unsafe('alter table candidates drop constraint if exists safety_test_no_name');
      await admin.end();
    }
  });
});

describe('exports', () => {
  it('the results CSV never lets a cell start a formula, and is an attachment', async () => {
    const names = ['=HYPERLINK("http://x","点我")', '+1', '-1', '@SUM(A1)', '普通名字'];
    const regs = names.map((name) => registration({ name }));
    // Tab and CR at the start cannot come through registration (names are trimmed and refuse
    // control characters); rows written before that rule can hold them.
    const legacy = [registration(), registration()];
    const r = await t.admin('POST', '/v1/admin/cycles/safe/candidates', { candidates: [...regs, ...legacy] });
    expect(
      r.body.results.every((x: any) => x.status === 'created'),
      r.text,
    ).toBe(true);
    const admin = postgres(t.dbUrl, { max: 1, onnotice: () => {} });
    await admin`update candidates set name = ${'\tX'} where id_number = ${legacy[0]!.idNumber}`;
    await admin`update candidates set name = ${'\rX'} where id_number = ${legacy[1]!.idNumber}`;
    await admin.end();

    const csv = await t.call('GET', '/v1/admin/cycles/safe/results', {
      token: 'test-admin-token-0123456789',
      headers: { accept: 'text/csv' },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="results-safe.csv"');
    const rows: string[][] = parse(csv.text, { bom: true });
    const nameOf = new Map(rows.slice(1).map((row) => [row[0], row[1]]));
    regs.forEach((reg, i) => {
      const want = i < 4 ? `'${names[i]}` : names[i];
      expect(nameOf.get(reg.idNumber)).toBe(want);
    });
    expect(nameOf.get(legacy[0]!.idNumber)).toBe("'\tX");
    expect(nameOf.get(legacy[1]!.idNumber)).toBe("'\rX");
    for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  });
});

describe('headers', () => {
  it('every answer carries nosniff and a request id; API answers are no-store, the catalogue may be cached', async () => {
    const reg = registration();
    await t.admin('POST', '/v1/admin/cycles/safe/candidates', { candidates: [reg] });
    const loginR = await t.call('POST', '/v1/auth/login', {
      body: { idNumber: reg.idNumber, password: reg.password },
    });
    const token = loginR.body.token as string;
    const start = await t.call('POST', '/v1/attempts', { token, body: {} });
    expect(start.status, start.text).toBe(201);
    const answers: [string, TestResponse][] = [
      ['login', loginR],
      ['start', start],
      ['view', await t.call('GET', `/v1/attempts/${start.body.id}`, { token })],
      ['me', await t.call('GET', '/v1/me', { token })],
      ['problem', await t.call('GET', '/v1/me')],
      [
        'bad json',
        await t.call('POST', '/v1/auth/login', { raw: '{', headers: { 'content-type': 'application/json' } }),
      ],
      ['admin', await t.admin('GET', '/v1/admin/banks')],
      ['results', await t.admin('GET', '/v1/admin/cycles/safe/results')],
      ['openapi', await t.call('GET', '/v1/openapi.json')],
      ['unknown api route', await t.call('GET', '/v1/nothing-here')],
    ];
    const ids = new Set<string>();
    for (const [what, r] of answers) {
      expect(r.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(r.headers.get('cache-control'), what).toBe('no-store');
      const id = r.headers.get('x-request-id');
      expect(id, what).toBeTruthy();
      ids.add(id!);
    }
    expect(ids.size).toBe(answers.length);
    const catalogue = await t.call('GET', '/v1/catalogue');
    expect(catalogue.headers.get('x-content-type-options')).toBe('nosniff');
    expect(catalogue.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
    for (const path of ['/healthz', '/', '/no-such-page'])
      expect((await t.call('GET', path)).headers.get('x-content-type-options'), path).toBe('nosniff');
  });
});

describe('slow clients', () => {
  it('a client that sends half its body and stalls is answered 408 and cut within the request timeout', async () => {
    const { hostname, port } = new URL(t.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    let received = '';
    socket.on('data', (d) => (received += d.toString()));
    const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
    socket.write(
      'POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n' +
        '{"idNumber":"1101',
    );
    // Node's default would hold the connection for 300 s; the engine's timeout here is 1.5 s.
    const cut = await Promise.race([
      closed,
      new Promise<boolean>((r) => setTimeout(() => r(false), REQUEST_TIMEOUT_MS * 5)),
    ]);
    socket.destroy();
    expect(cut).toBe(true);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
  });
});
