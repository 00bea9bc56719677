// Property-based fuzzing of every route of the API (DESIGN §4: "bad input of any kind → 4xx
// problem+json, changing nothing; a 5xx is always a bug"). For each route, fast-check sends a few
// hundred generated requests over loopback: arbitrary JSON (NUL, lone surrogates, very long strings,
// deep nesting, huge numbers, "__proto__" keys), near-valid bodies (one field mutated, dropped or
// added), wrong content types, bad and forged tokens, and other candidates' attempt ids. Properties:
//   1. every answer is 2xx, or 4xx application/problem+json with `code`, `status` and `title`;
//   2. a 4xx (or a registration whose every row is rejected) changes nothing: the Postgres rows
//      and the Redis hashes the route could touch are the same before and after it;
//   3. a bad or forged token is 401, another candidate's try is 404 (never revealed).
// The seed is fixed (FUZZ_SEED overrides it), so a failure replays; FUZZ_RUNS scales the runs.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMPORT_FORMATS } from '../src/banks/import/types.js';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from './support/engine.js';
import { idNumber, makeBank, openWindow, registration } from './support/fixtures.js';
import {
  BAD_CHARS,
  JSON_TYPES,
  SEED,
  encodeSegment,
  nastyString,
  nearValid,
  pathSegment,
  poisoned,
  problemViolation,
  runs,
  send,
  snapshotter,
  wireBody,
  wrongContentType,
  type FuzzRequest,
  type FuzzResponse,
  type Snapshot,
} from './support/fuzz.js';
import { answerSection, login, wrongLetters } from './support/sitting.js';

/** One generated request, and what it must answer beyond property 1. */
interface Case {
  req: FuzzRequest;
  /** Statuses (or "status:code") allowed besides 413 for a body over the limit; absent = any 2xx or 4xx. */
  allowed?: (number | string)[];
  /** The request is invalid whatever it answers: the state must not change even on a 2xx. */
  invalid?: boolean;
  why?: string;
}

let t: TestEngine;
let snap: ReturnType<typeof snapshotter>;
let base: Snapshot;
let openapiRoutes: string[] = [];

const POLICY = {
  id: 'fuzz',
  title: '模糊测试',
  exams: [
    {
      id: 'business',
      maxAttempts: 3,
      passRule: 'all-sections',
      sections: [
        { id: 'law', title: '法律法规', bank: 'law', durationSec: 3600, items: 3, points: 3, passMark: 2 },
        { id: 'specialty', title: '专业知识', bank: '@specialty', durationSec: 3600, items: 3, points: 3, passMark: 2 },
      ],
    },
  ],
};
/** Cycles the candidate routes live in: body fuzzing of admin routes never targets them. */
const LIVE_CYCLES = ['fz', 'fz-reg'];
const LIVE_BANKS = ['law', 'internal-medicine'];

const who = {
  a: { id: '', password: '', candidateId: '', token: '', active: '', finished: '', questions: [] as any[] },
  b: { id: '', candidateId: '', token: '', active: '' },
  c: { id: '', password: '' },
  loggedOut: '',
};

beforeAll(async () => {
  // Long checkpoint and sweep periods: no background write moves the rows between two requests.
  t = await startTestEngine({ TRUST_PROXY: 'true', CHECKPOINT_MS: '3600000', SWEEP_MS: '3600000' });
  for (const bank of [makeBank('law', 6), makeBank('internal-medicine', 6), makeBank('fz-bank', 3)]) {
    const r = await t.admin('PUT', `/v1/admin/banks/${bank.bankId}`, bank);
    expect(r.status, r.text).toBe(201);
  }
  for (const cycleId of LIVE_CYCLES) {
    const r = await t.admin('PUT', `/v1/admin/cycles/${cycleId}`, {
      title: '模糊测试',
      ...openWindow(),
      policy: POLICY,
    });
    expect(r.status, r.text).toBe(200);
  }
  const [ra, rb, rc] = [registration(), registration(), registration()];
  const reg = await t.admin('POST', '/v1/admin/cycles/fz/candidates', { candidates: [ra, rb, rc] });
  expect(reg.status, reg.text).toBe(200);
  const ids = reg.body.results.map((r: any) => r.candidateId as string);
  Object.assign(who.a, { id: ra.idNumber, password: ra.password, candidateId: ids[0] });
  Object.assign(who.b, { id: rb.idNumber, candidateId: ids[1] });
  Object.assign(who.c, { id: rc.idNumber, password: rc.password });
  who.a.token = await login(t, ra.idNumber, ra.password);
  who.b.token = await login(t, rb.idNumber, rb.password);
  who.loggedOut = await login(t, ra.idNumber, ra.password);
  expect((await t.call('POST', '/v1/auth/logout', { token: who.loggedOut })).status).toBe(204);

  // A: one finished (failed) try, then one in progress; B: one in progress.
  let view = (await t.call('POST', '/v1/attempts', { token: who.a.token, body: {} })).body;
  who.a.finished = view.id;
  view = await answerSection(t, who.a.token, view, 0);
  view = await answerSection(t, who.a.token, view, 0);
  expect(view.status).toBe('finished');
  for (let i = 0; i < 200; i++) {
    const rec = await t.admin('GET', `/v1/admin/attempts/${who.a.finished}`);
    if (rec.status === 200 && rec.body.status === 'finished') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const active = await t.call('POST', '/v1/attempts', { token: who.a.token, body: {} });
  expect(active.status, active.text).toBe(201);
  who.a.active = active.body.id;
  who.a.questions = active.body.section.questions;
  const bActive = await t.call('POST', '/v1/attempts', { token: who.b.token, body: {} });
  expect(bActive.status, bActive.text).toBe(201);
  who.b.active = bActive.body.id;

  const doc = await t.call('GET', '/v1/openapi.json');
  expect(doc.status).toBe(200);
  openapiRoutes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );

  snap = snapshotter(t.dbUrl, t.prefix, {
    candidates: [
      {
        candidateId: who.a.candidateId,
        attemptIds: [who.a.finished, who.a.active],
        tokens: [who.a.token, who.loggedOut],
      },
      { candidateId: who.b.candidateId, attemptIds: [who.b.active], tokens: [who.b.token] },
    ],
  });
  base = await snap.take();
}, 120_000);

afterAll(async () => {
  if (SURVEY) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(SURVEY, JSON.stringify([...survey.values()], null, 1));
  }
  await snap?.close();
  await t?.close();
});

// ---------------------------------------------------------------------------------------------
// The check every generated request goes through

async function check(c: Case): Promise<void> {
  const res = await send(t.url, c.req);
  try {
    const violation = problemViolation(res);
    if (violation) throw new Error(`property 1 (2xx or 4xx problem+json): ${violation}`);
    const code = (res.body as { code?: string } | undefined)?.code;
    if (
      c.allowed &&
      res.status !== 413 &&
      !c.allowed.includes(res.status) &&
      !c.allowed.includes(`${res.status}:${code}`)
    )
      throw new Error(
        `property 3: ${c.why ?? ''} answered ${res.status}, allowed ${c.allowed.join('/')}: ${res.text.slice(0, 300)}`,
      );
    const after = await snap.take();
    if (c.invalid || res.status >= 400 || allRejected(res)) {
      if (JSON.stringify(after) !== JSON.stringify(base))
        throw new Error(`property 2 (nothing changed) after ${res.status}: ${diff(base, after)}`);
    }
    base = after;
  } catch (e) {
    base = await snap.take();
    throw e;
  }
}

/** A registration answered 200 with every row rejected writes nothing either. */
function allRejected(res: FuzzResponse): boolean {
  const results = (res.body as { results?: { status: string }[] } | undefined)?.results;
  return res.status === 200 && Array.isArray(results) && results.every((r) => r.status === 'rejected');
}

function diff(a: Snapshot, b: Snapshot): string {
  const out: string[] = [];
  for (const side of ['postgres', 'redis'] as const)
    for (const k of new Set([...Object.keys(a[side]), ...Object.keys(b[side])]))
      if (a[side][k] !== b[side][k]) out.push(`${side}.${k}: ${a[side][k]} → ${b[side][k]}`);
  return out.join('; ');
}

/**
 * FUZZ_SURVEY=<file>: instead of stopping at the first failure of a route, record every violation
 * (the shortest request for each distinct reason) and write them to that file; the tests then pass.
 */
const SURVEY = process.env.FUZZ_SURVEY;
const survey = new Map<string, { route: string; reason: string; req: FuzzRequest; count: number }>();

async function fuzz(
  arb: fc.Arbitrary<Case>,
  numRuns: number,
  examples: Case[] = [],
  route = expect.getState().currentTestName ?? '',
) {
  await fc.assert(
    fc.asyncProperty(arb, async (c) => {
      if (!SURVEY) return check(c);
      try {
        await check(c);
      } catch (e) {
        const reason = String((e as Error).message)
          .replace(/"instance":"[^"]*"/, '')
          .slice(0, 260);
        const key = `${route}|${reason.replace(/\d+/g, '#').slice(0, 120)}`;
        const seen = survey.get(key);
        const req = { ...c.req, body: typeof c.req.body === 'string' ? c.req.body.slice(0, 600) : c.req.body };
        if (!seen || JSON.stringify(req).length < JSON.stringify(seen.req).length)
          survey.set(key, { route, reason, req, count: (seen?.count ?? 0) + 1 });
        else seen.count++;
      }
    }),
    { seed: SEED, numRuns: runs(numRuns) + examples.length, examples: examples.map((c): [Case] => [c]) },
  );
}

// ---------------------------------------------------------------------------------------------
// Generators of the request's parts

const json = (body: unknown): string => JSON.stringify(body) ?? 'null';

/** Mostly the right JSON content type, sometimes a wrong one. */
const jsonType = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<string | undefined>(...JSON_TYPES) },
  { weight: 1, arbitrary: wrongContentType },
);
const headers = (h: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined));

/** A body for a JSON route: near-valid (weight 3), arbitrary bytes/JSON (2), or valid with a wrong type (1). */
function jsonBody(valid: unknown) {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({ body: nearValid(valid).map((n) => json(n.body)), type: jsonType }),
    },
    { weight: 2, arbitrary: fc.record({ body: wireBody, type: jsonType }) },
    {
      weight: 1,
      arbitrary: fc.record({ body: fc.constant(json(valid)), type: wrongContentType }),
    },
  );
}

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 });

/** The admin's Authorization header, or (weight 1 in 5) a wrong one that must be refused. */
function adminAuth() {
  const bad = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic dGVzdDp0ZXN0', `Bearer ${ADMIN_TOKEN}x`, `Token ${ADMIN_TOKEN}`),
    fc.constantFrom(`Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}`),
    fc.constant('candidate'),
    printable.map((s) => `Bearer ${s}`),
  );
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ header: `Bearer ${ADMIN_TOKEN}`, ok: true }) },
    {
      weight: 1,
      arbitrary: bad.map((h) => ({ header: h === 'candidate' ? `Bearer ${who.a.token}` : h, ok: false })),
    },
  );
}

type Token = { kind: 'a' | 'b' | 'none' | 'garbage' | 'forged' | 'loggedOut'; header?: string };
const base64url = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')),
  minLength: 20,
  maxLength: 64,
});

/** A candidate's Authorization header: A's, B's, or a bad one (missing, garbage, forged, logged out). */
function candidateToken(weights = { a: 6, b: 2, bad: 3 }): fc.Arbitrary<Token> {
  const bad: fc.Arbitrary<Token> = fc.oneof(
    fc.constant<Token>({ kind: 'none' }),
    fc
      .oneof(printable, fc.constantFrom('', 'Bearer', 'Basic eDp5'))
      .map((s): Token => ({ kind: 'garbage', header: s.startsWith('Bearer') || !s ? s : `Bearer ${s}` })),
    fc
      .tuple(fc.constantFrom(who.a.candidateId, who.b.candidateId, 'zzzzzzzzzz'), base64url)
      .map(([cid, secret]): Token => ({ kind: 'forged', header: `Bearer ${cid}.${secret}` })),
    fc.constant<Token>({ kind: 'loggedOut', header: `Bearer ${who.loggedOut}` }),
    fc.constantFrom<Token>(
      { kind: 'forged', header: `Bearer ${who.a.token}x` },
      { kind: 'garbage', header: `Bearer ${who.a.token} ${who.a.token}` },
      { kind: 'garbage', header: `Basic ${who.a.token}` },
    ),
  );
  return fc.oneof(
    { weight: weights.a, arbitrary: fc.constant<Token>({ kind: 'a', header: `Bearer ${who.a.token}` }) },
    { weight: weights.b, arbitrary: fc.constant<Token>({ kind: 'b', header: `Bearer ${who.b.token}` }) },
    { weight: weights.bad, arbitrary: bad },
  );
}

/**
 * What a bad token must answer: 401. A token that is not of our shape is refused before anything
 * else; a well-formed one (forged, logged out) is checked in the same Redis script that does the
 * work, so where the route has params or a body, their validation (400) may come first.
 */
function tokenRule(tok: Token, bodyFirst = true): Pick<Case, 'allowed' | 'invalid' | 'why'> | null {
  if (tok.kind === 'a' || tok.kind === 'b') return null;
  const forged = tok.kind === 'forged' || tok.kind === 'loggedOut';
  return {
    // A letter outside A-H/T/F is refused from the body alone (DESIGN §8), before the session is looked at.
    allowed: forged && bodyFirst ? [400, 401, '422:invalid_choice'] : [401],
    invalid: true,
    why: `a ${tok.kind} token`,
  };
}

type AttemptRef = { owner: 'a' | 'b' | 'none'; id: string };
/** An attempt id: A's in progress, A's finished, B's (another candidate's), a well-formed unknown, or junk. */
function attemptRef(): fc.Arbitrary<AttemptRef> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant<AttemptRef>({ owner: 'a', id: who.a.active }) },
    { weight: 2, arbitrary: fc.constant<AttemptRef>({ owner: 'a', id: who.a.finished }) },
    { weight: 2, arbitrary: fc.constant<AttemptRef>({ owner: 'b', id: who.b.active }) },
    {
      weight: 1,
      arbitrary: fc.stringMatching(/^[A-Za-z0-9]{8,32}$/).map((id): AttemptRef => ({ owner: 'none', id })),
    },
    { weight: 1, arbitrary: pathSegment.map((id): AttemptRef => ({ owner: 'none', id })) },
  );
}

/** A's token on B's try (or B's on A's) is 404 like an unknown one, or 400 for a malformed body. */
function ownerRule(tok: Token, ref: AttemptRef): Pick<Case, 'allowed' | 'invalid' | 'why'> | null {
  if ((tok.kind === 'a' || tok.kind === 'b') && ref.owner !== 'none' && ref.owner !== tok.kind)
    return { allowed: [400, 404, '422:invalid_choice'], invalid: true, why: "another candidate's try" };
  return null;
}

const queryJunk = fc.option(
  fc
    .array(fc.tuple(pathSegment, pathSegment), { maxLength: 3 })
    .map((kv) => kv.map(([k, v]) => `${k}=${v}`).join('&'))
    .filter((q) => q.length < 8_000),
  { nil: undefined },
);
const withQuery = (path: string, q: string | undefined) => (q === undefined ? path : `${path}?${q}`);

/** Admin path params: the fuzz's own ids mostly, junk sometimes; never the cycles and banks candidates sit. */
const fuzzId = (ids: string[], live: string[]) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ids) },
    { weight: 1, arbitrary: pathSegment.filter((s) => !live.includes(s)) },
  );

function adminCase(
  method: string,
  path: string,
  auth: { header?: string; ok: boolean },
  extra: Partial<FuzzRequest> = {},
): Case {
  return {
    req: { method, path, headers: headers({ authorization: auth.header, ...extra.headers }), body: extra.body },
    ...(auth.ok ? {} : { allowed: [401, 403], invalid: true, why: 'a wrong admin token' }),
  };
}

// ---------------------------------------------------------------------------------------------
// The routes

/** `examples` run before the generated cases: each string of a valid body poisoned in turn. */
type RouteFuzz = { route: string; runs: number; arb: () => fc.Arbitrary<Case>; examples?: () => Case[] };

const ADMIN = `Bearer ${ADMIN_TOKEN}`;
function jsonCases(method: string, path: string, valid: unknown, h: Record<string, string> = {}): Case[] {
  return poisoned(valid).map((body) => ({
    req: { method, path, headers: { 'content-type': 'application/json', ...h }, body: json(body) },
  }));
}
function csvCases(path: string, header: string[], row: string[], type: string): Case[] {
  return row.map((_, col) => ({
    req: {
      method: 'POST',
      path,
      headers: { authorization: ADMIN, 'content-type': type },
      body: `${csvLine(header)}\r\n${csvLine(row.map((c, i) => (i === col ? `${c}\u0000` : c)))}\r\n`,
    },
  }));
}

const candidateRoutes: RouteFuzz[] = [
  {
    route: 'GET /v1/me',
    runs: 100,
    arb: () =>
      fc.record({ tok: candidateToken(), q: queryJunk }).map(({ tok, q }) => ({
        req: { method: 'GET', path: withQuery('/v1/me', q), headers: headers({ authorization: tok.header }) },
        ...tokenRule(tok, false),
      })),
  },
  {
    route: 'POST /v1/attempts',
    runs: 200,
    examples: () => jsonCases('POST', '/v1/attempts', { exam: 'business' }, { authorization: `Bearer ${who.a.token}` }),
    // A and B both have a try in progress: every start must be refused and change nothing.
    arb: () =>
      fc.record({ tok: candidateToken(), body: jsonBody({ exam: 'business' }) }).map(({ tok, body }) => ({
        req: {
          method: 'POST',
          path: '/v1/attempts',
          headers: headers({ authorization: tok.header, 'content-type': body.type }),
          body: body.body,
        },
        invalid: true,
        ...tokenRule(tok),
      })),
  },
  {
    route: 'GET /v1/attempts/{id}',
    runs: 150,
    arb: () =>
      fc.record({ tok: candidateToken(), ref: attemptRef() }).map(({ tok, ref }) => ({
        req: { method: 'GET', path: `/v1/attempts/${ref.id}`, headers: headers({ authorization: tok.header }) },
        ...ownerRule(tok, ref),
        ...tokenRule(tok),
      })),
  },
  {
    route: 'PUT /v1/attempts/{id}/answers',
    runs: 250,
    examples: () =>
      jsonCases(
        'PUT',
        `/v1/attempts/${who.a.active}/answers`,
        { answers: { [who.a.questions[0].id]: ['A'] } },
        { authorization: `Bearer ${who.a.token}` },
      ),
    arb: () => {
      const [q1, q2] = who.a.questions;
      const valid = { answers: { [q1.id]: wrongLetters(q1), [q2.id]: [] } };
      return fc
        .record({ tok: candidateToken(), ref: attemptRef(), body: jsonBody(valid) })
        .map(({ tok, ref, body }) => ({
          req: {
            method: 'PUT',
            path: `/v1/attempts/${ref.id}/answers`,
            headers: headers({ authorization: tok.header, 'content-type': body.type }),
            body: body.body,
          },
          ...ownerRule(tok, ref),
          ...tokenRule(tok),
        }));
    },
  },
  {
    route: 'POST /v1/attempts/{id}/sections/{sectionId}/submit',
    runs: 200,
    arb: () =>
      fc
        .record({
          tok: candidateToken(),
          ref: attemptRef(),
          section: fc.oneof(fc.constantFrom('law', 'specialty', 'LAW', 'practice', 'x'), pathSegment),
          body: fc.option(fc.record({ body: wireBody, type: wrongContentType }), { nil: undefined }),
        })
        // Submitting the section in progress of one's own try is valid (and would end it): not fuzzed.
        .filter(({ tok, ref, section }) => !(ref.owner === tok.kind && ref.id !== who.a.finished && section === 'law'))
        .map(({ tok, ref, section, body }) => ({
          req: {
            method: 'POST',
            path: `/v1/attempts/${ref.id}/sections/${section}/submit`,
            headers: headers({ authorization: tok.header, 'content-type': body?.type }),
            body: body?.body,
          },
          // Re-submitting a finished try's section is idempotent: it may answer 200, changing nothing.
          invalid: true,
          ...ownerRule(tok, ref),
          ...tokenRule(tok),
        })),
  },
  {
    route: 'GET /v1/attempts/{id}/result',
    runs: 150,
    arb: () =>
      fc.record({ tok: candidateToken(), ref: attemptRef() }).map(({ tok, ref }) => ({
        req: { method: 'GET', path: `/v1/attempts/${ref.id}/result`, headers: headers({ authorization: tok.header }) },
        ...ownerRule(tok, ref),
        ...tokenRule(tok),
      })),
  },
  {
    route: 'POST /v1/auth/logout',
    runs: 100,
    // Only bad tokens: a valid one would end the session the other routes use.
    arb: () =>
      fc
        .record({
          tok: candidateToken({ a: 0, b: 0, bad: 1 }),
          body: fc.option(fc.record({ body: wireBody, type: wrongContentType }), { nil: undefined }),
        })
        .map(({ tok, body }) => ({
          req: {
            method: 'POST',
            path: '/v1/auth/logout',
            headers: headers({ authorization: tok.header, 'content-type': body?.type }),
            body: body?.body,
          },
          ...tokenRule(tok, false),
        })),
  },
  {
    route: 'POST /v1/auth/login',
    runs: 250,
    examples: () =>
      jsonCases(
        'POST',
        '/v1/auth/login',
        { idNumber: who.c.id, password: who.c.password },
        { 'x-forwarded-for': '10.255.0.1' },
      ),
    // A fresh client address for each request, so that the address limit does not hide the rest.
    arb: () => {
      const strangers = Array.from({ length: 8 }, () => idNumber());
      return fc
        .record({
          idNumber: fc.constantFrom(who.c.id, ...strangers),
          body: fc.constant(null),
          addr: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `10.${a}.${b}.${c}`),
        })
        .chain(({ idNumber: id, addr }) =>
          jsonBody({ idNumber: id, password: who.c.password }).map((body) => ({ body, addr })),
        )
        .map(({ body, addr }) => ({
          req: {
            method: 'POST',
            path: '/v1/auth/login',
            headers: headers({ 'content-type': body.type, 'x-forwarded-for': addr }),
            body: body.body,
          },
        }));
    },
  },
  {
    route: 'GET /v1/catalogue',
    runs: 60,
    arb: () =>
      fc
        .record({
          q: queryJunk,
          accept: fc.option(printable, { nil: undefined }),
          auth: fc.option(printable, { nil: undefined }),
        })
        .map(({ q, accept, auth }) => ({
          req: {
            method: 'GET',
            path: withQuery('/v1/catalogue', q),
            headers: headers({ accept, authorization: auth }),
          },
          invalid: true,
        })),
  },
];

const validCycle = () => ({
  title: '模糊测试周期',
  opensAt: '2026-01-01T00:00:00+08:00',
  closesAt: '2026-12-31T23:59:59+08:00',
  policy: POLICY,
});

/** A bank sheet row by row, each cell CSV-quoted. */
const csvLine = (cells: string[]) => cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
const BANK_HEADER = ['编号', '题型', '题干', '选项A', '选项B', '选项C', '答案'];
const REG_HEADER = ['idNumber', 'name', 'category', 'scopes', 'level', 'specialty', 'password'];

/** A valid sheet with one cell replaced by a nasty string, or a row added, or junk bytes. */
function sheet(header: string[], row: string[]): fc.Arbitrary<string | Uint8Array> {
  return fc.oneof(
    {
      weight: 2,
      arbitrary: fc
        .record({ col: fc.nat(row.length - 1), bad: fc.constantFrom(...BAD_CHARS) })
        .map(({ col, bad }) => `${csvLine(header)}\r\n${csvLine(row.map((c, i) => (i === col ? c + bad : c)))}\r\n`),
    },
    {
      weight: 3,
      arbitrary: fc
        .record({ col: fc.nat(row.length - 1), value: nastyString, header: fc.boolean() })
        .map(({ col, value, header: inHeader }) => {
          const h = [...header];
          const r = [...row];
          if (inHeader) h[col] = value;
          else r[col] = value;
          return `${csvLine(h)}\r\n${csvLine(r)}\r\n`;
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(nastyString, { minLength: 1, maxLength: 10 })
        .map((cells) => `${csvLine(header)}\r\n${csvLine(row)}\r\n${csvLine(cells)}\r\n`),
    },
    { weight: 2, arbitrary: wireBody },
  );
}

/** A multipart form around the bytes, with the "file" field or another name. */
function multipart(bytes: string | Uint8Array, field: string): { body: Uint8Array; type: string } {
  const boundary = '----fuzzBoundary7MA4YWxkTrZu0gW';
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="bank.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    body: new Uint8Array(Buffer.concat([head, Buffer.from(bytes), tail])),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

const adminRoutes: RouteFuzz[] = [
  {
    route: 'GET /v1/admin/banks',
    runs: 60,
    arb: () =>
      fc.record({ auth: adminAuth(), q: queryJunk }).map(({ auth, q }) => ({
        ...adminCase('GET', withQuery('/v1/admin/banks', q), auth),
        invalid: true,
      })),
  },
  {
    route: 'GET /v1/admin/banks/template.xlsx',
    runs: 25,
    arb: () =>
      fc.record({ auth: adminAuth(), q: queryJunk }).map(({ auth, q }) => ({
        ...adminCase('GET', withQuery('/v1/admin/banks/template.xlsx', q), auth),
        invalid: true,
      })),
  },
  {
    route: 'PUT /v1/admin/banks/{bankId}',
    runs: 200,
    examples: () => jsonCases('PUT', '/v1/admin/banks/fz-bank', makeBank('fz-bank', 3), { authorization: ADMIN }),
    arb: () =>
      fc
        .record({ auth: adminAuth(), bankId: fuzzId(['fz-bank'], LIVE_BANKS), body: jsonBody(makeBank('fz-bank', 3)) })
        .map(({ auth, bankId, body }) =>
          adminCase('PUT', `/v1/admin/banks/${bankId}`, auth, {
            headers: headers({ 'content-type': body.type }),
            body: body.body,
          }),
        ),
  },
  {
    route: 'GET /v1/admin/banks/{bankId}',
    runs: 80,
    arb: () =>
      fc.record({ auth: adminAuth(), bankId: fuzzId(['fz-bank', 'law', 'nope'], []) }).map(({ auth, bankId }) => ({
        ...adminCase('GET', `/v1/admin/banks/${bankId}`, auth),
        invalid: true,
      })),
  },
  {
    route: 'POST /v1/admin/banks/{bankId}/versions/{version}/retire',
    runs: 120,
    arb: () =>
      fc
        .record({
          auth: adminAuth(),
          bankId: fuzzId(['fz-bank', 'nope'], LIVE_BANKS),
          version: fc.oneof(
            fc.constantFrom('1', '2', '0', '-1', '1.5', '1e3', '0x1', ' 1', '99999999999999999999', 'NaN', 'Infinity'),
            pathSegment,
          ),
        })
        .map(({ auth, bankId, version }) =>
          adminCase('POST', `/v1/admin/banks/${bankId}/versions/${version}/retire`, auth),
        ),
  },
  {
    route: 'POST /v1/admin/banks/{bankId}/import',
    runs: 200,
    examples: () => {
      const path = '/v1/admin/banks/fz-import/import?format=csv';
      const row = ['fz-1', '单选', '题干', '甲', '乙', '丙', 'A'];
      return [
        ...csvCases(path, BANK_HEADER, row, 'text/csv'),
        ...BAD_CHARS.map((c) => ({
          req: {
            method: 'POST',
            path: `${path}&title=${encodeSegment(`题库${c}`)}`,
            headers: { authorization: ADMIN, 'content-type': 'text/csv' },
            body: `${csvLine(BANK_HEADER)}\r\n${csvLine(row)}\r\n`,
          },
        })),
      ];
    },
    arb: () =>
      fc
        .record({
          auth: adminAuth(),
          bankId: fuzzId(['fz-import'], LIVE_BANKS),
          format: fc.oneof(
            { weight: 5, arbitrary: fc.constantFrom(...IMPORT_FORMATS) },
            { weight: 1, arbitrary: fc.constantFrom('', 'CSV', 'xls', 'json', 'csv&format=xlsx') },
            { weight: 1, arbitrary: pathSegment },
          ),
          dryRun: fc.constantFrom(undefined, 'true', 'false', 'yes', ''),
          title: fc.oneof(
            fc.constant(undefined),
            fc.constantFrom(...BAD_CHARS).map((c) => encodeSegment(`题库${c}`)),
            nastyString.map(encodeSegment).filter((s) => s.length < 5_000),
          ),
          bytes: sheet(BANK_HEADER, ['fz-1', '单选', '题干', '甲', '乙', '丙', 'A']),
          wrap: fc.constantFrom('raw', 'raw', 'file', 'other-field'),
          type: fc.constantFrom<string | undefined>(
            undefined,
            'text/csv',
            'application/octet-stream',
            'application/json',
            'multipart/form-data; boundary=x',
          ),
        })
        .map(({ auth, bankId, format, dryRun, title, bytes, wrap, type }) => {
          const query = [
            `format=${format}`,
            dryRun === undefined ? '' : `dryRun=${dryRun}`,
            title ? `title=${title}` : '',
          ]
            .filter(Boolean)
            .join('&');
          const form =
            wrap === 'raw' ? { body: bytes, type } : multipart(bytes, wrap === 'file' ? 'file' : 'attachment');
          return adminCase('POST', `/v1/admin/banks/${bankId}/import?${query}`, auth, {
            headers: headers({ 'content-type': form.type }),
            body: form.body,
          });
        }),
  },
  {
    route: 'PUT /v1/admin/cycles/{cycleId}',
    runs: 220,
    examples: () => jsonCases('PUT', '/v1/admin/cycles/fz-c1', validCycle(), { authorization: ADMIN }),
    arb: () =>
      fc
        .record({ auth: adminAuth(), cycleId: fuzzId(['fz-c1', 'fz-c2'], LIVE_CYCLES), body: jsonBody(validCycle()) })
        .map(({ auth, cycleId, body }) =>
          adminCase('PUT', `/v1/admin/cycles/${cycleId}`, auth, {
            headers: headers({ 'content-type': body.type }),
            body: body.body,
          }),
        ),
  },
  {
    route: 'GET /v1/admin/cycles',
    runs: 40,
    arb: () =>
      fc.record({ auth: adminAuth(), q: queryJunk }).map(({ auth, q }) => ({
        ...adminCase('GET', withQuery('/v1/admin/cycles', q), auth),
        invalid: true,
      })),
  },
  {
    route: 'GET /v1/admin/cycles/{cycleId}',
    runs: 80,
    arb: () =>
      fc.record({ auth: adminAuth(), cycleId: fuzzId(['fz', 'fz-c1', 'nope'], []) }).map(({ auth, cycleId }) => ({
        ...adminCase('GET', `/v1/admin/cycles/${cycleId}`, auth),
        invalid: true,
      })),
  },
  {
    route: 'POST /v1/admin/cycles/{cycleId}/candidates',
    runs: 180,
    examples: () => {
      const reg = registration({ password: 'fuzz-password-2' });
      const row = [reg.idNumber, reg.name, reg.category, '内科专业', reg.level, reg.specialty, reg.password];
      return [
        ...jsonCases('POST', '/v1/admin/cycles/fz-reg/candidates', { candidates: [reg] }, { authorization: ADMIN }),
        ...csvCases('/v1/admin/cycles/fz-reg/candidates', REG_HEADER, row, 'text/csv'),
      ];
    },
    arb: () => {
      const reg = registration({ password: 'fuzz-password-1' });
      const row = [reg.idNumber, reg.name, reg.category, '内科专业', reg.level, reg.specialty, reg.password];
      const csvBody = fc.record({
        body: sheet(REG_HEADER, row),
        type: fc.constantFrom('text/csv', 'text/csv; charset=gbk'),
      });
      return fc
        .record({
          auth: adminAuth(),
          cycleId: fuzzId(['fz-reg', 'nope'], ['fz']),
          body: fc.oneof({ weight: 3, arbitrary: jsonBody({ candidates: [reg] }) }, { weight: 2, arbitrary: csvBody }),
        })
        .map(({ auth, cycleId, body }) =>
          adminCase('POST', `/v1/admin/cycles/${cycleId}/candidates`, auth, {
            headers: headers({ 'content-type': body.type }),
            body: body.body,
          }),
        );
    },
  },
  {
    route: 'GET /v1/admin/cycles/{cycleId}/results',
    runs: 100,
    arb: () =>
      fc
        .record({
          auth: adminAuth(),
          cycleId: fuzzId(['fz', 'fz-reg', 'nope'], []),
          accept: fc.oneof(
            fc.constantFrom(
              undefined,
              'application/json',
              'text/csv',
              'text/csv;q=0',
              '*/*',
              'text/*',
              'application/xml',
            ),
            printable,
          ),
        })
        .map(({ auth, cycleId, accept }) => ({
          ...adminCase('GET', `/v1/admin/cycles/${cycleId}/results`, auth, { headers: headers({ accept }) }),
          invalid: true,
        })),
  },
  {
    route: 'GET /v1/admin/attempts/{attemptId}',
    runs: 100,
    arb: () =>
      fc.record({ auth: adminAuth(), ref: attemptRef() }).map(({ auth, ref }) => ({
        ...adminCase('GET', `/v1/admin/attempts/${ref.id}`, auth),
        invalid: true,
      })),
  },
];

describe('fuzz: the candidate routes', () => {
  for (const r of candidateRoutes)
    it(
      r.route,
      async () => {
        await fuzz(r.arb(), r.runs, r.examples?.());
      },
      300_000,
    );
});

describe('fuzz: the admin routes', () => {
  for (const r of adminRoutes)
    it(
      r.route,
      async () => {
        await fuzz(r.arb(), r.runs, r.examples?.());
      },
      300_000,
    );
});

describe('fuzz: coverage and methods', () => {
  it('every route of the OpenAPI document is fuzzed', () => {
    const fuzzed = new Set([...candidateRoutes, ...adminRoutes].map((r) => r.route));
    expect(openapiRoutes.length).toBeGreaterThan(0);
    expect(openapiRoutes.filter((r) => !fuzzed.has(r))).toEqual([]);
  });

  it('a request line over the 16 KiB header limit is a 4xx problem, not a bare 431', async () => {
    const res = await send(t.url, { method: 'GET', path: `/v1/catalogue?q=${'x'.repeat(20_000)}`, headers: {} });
    expect(problemViolation(res)).toBeNull();
  });

  it('a method a route does not have is a 4xx problem and changes nothing', async () => {
    const paths = () => [
      '/v1/catalogue',
      '/v1/auth/login',
      '/v1/auth/logout',
      '/v1/me',
      '/v1/attempts',
      `/v1/attempts/${who.a.active}`,
      `/v1/attempts/${who.a.active}/answers`,
      `/v1/attempts/${who.a.active}/sections/law/submit`,
      `/v1/attempts/${who.a.finished}/result`,
      '/v1/admin/banks',
      '/v1/admin/banks/template.xlsx',
      '/v1/admin/banks/law',
      '/v1/admin/banks/law/versions/1/retire',
      '/v1/admin/banks/law/import?format=csv',
      '/v1/admin/cycles',
      '/v1/admin/cycles/fz',
      '/v1/admin/cycles/fz/candidates',
      '/v1/admin/cycles/fz/results',
      `/v1/admin/attempts/${who.a.finished}`,
      '/v1/nope',
      '/v1/admin/nope',
    ];
    const have = new Set(openapiRoutes);
    const arb = fc
      .record({
        path: fc.constantFrom(...paths()),
        method: fc.constantFrom('DELETE', 'PATCH', 'PUT', 'POST', 'GET', 'OPTIONS'),
        auth: fc.constantFrom(`Bearer ${ADMIN_TOKEN}`, `Bearer ${who.a.token}`),
      })
      .filter(({ path, method }) => {
        // Keep only methods the route does not have (a template path with any id matches).
        const template = path
          .replace(/\?.*$/, '')
          .replace(/^\/v1\/attempts\/[^/]+/, '/v1/attempts/{id}')
          .replace(/sections\/law/, 'sections/{sectionId}')
          .replace(/^\/v1\/admin\/attempts\/[^/]+/, '/v1/admin/attempts/{attemptId}')
          .replace(/^\/v1\/admin\/banks\/law\/versions\/1/, '/v1/admin/banks/{bankId}/versions/{version}')
          .replace(/^\/v1\/admin\/banks\/law/, '/v1/admin/banks/{bankId}')
          .replace(/^\/v1\/admin\/cycles\/fz/, '/v1/admin/cycles/{cycleId}')
          .replace(/^\/v1\/(catalogue|me|attempts|admin\/banks|admin\/cycles)$/, '/v1/$1/');
        const tmpl = template.endsWith('/') && !have.has(`${method} ${template}`) ? template.slice(0, -1) : template;
        return !have.has(`${method} ${tmpl}`) && !have.has(`${method} ${template}`);
      })
      .map(({ path, method, auth }): Case => ({
        req: { method, path, headers: { authorization: auth } },
        invalid: true,
      }));
    await fuzz(arb, 150);
  }, 300_000);
});
