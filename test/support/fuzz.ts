// Generators and checks for the property-based fuzz suite (test/fuzz.test.ts): nasty strings and
// JSON, near-valid bodies (one field mutated, dropped or added), wrong content types, raw requests,
// the problem+json check every answer must pass, and a snapshot of the state a route could touch.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { makeKeys } from '../../src/redis/keys.js';
import { REDIS_URL } from './global-setup.js';

/** One fixed seed, so that a failure replays: FUZZ_SEED overrides it, FUZZ_RUNS scales the runs. */
export const SEED = Number(process.env.FUZZ_SEED ?? 20260517);
export const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.FUZZ_RUNS ?? 1)));

// ---------------------------------------------------------------------------------------------
// Strings and JSON

/** One code point or one of the units that break naive code: NUL, lone surrogates, BOM, RTL marks. */
const nastyUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '\u0000',
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\ufeff',
      '\u202e',
      '\uffff',
      '法',
      '%',
    ),
  },
);

const LONG = [300, 5_000, 70_000, 400_000] as const;

/** Strings: NUL, lone surrogates, control characters, keys that poison prototypes, very long ones. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: nastyUnit, maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'null',
      'undefined',
      'NaN',
      '\u0000',
      'a\u0000b',
      '\ud800',
      '=cmd|" /C calc"!A0',
      "'; drop table candidates; --",
      '../../etc/passwd',
      '%00',
      '%ZZ',
      'A'.repeat(33),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(...LONG), nastyUnit).map(([n, u]) => u.repeat(Math.ceil(n / u.length))),
  },
);

/** Numbers that JSON can carry but code rarely expects. */
export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 1e21, 0.1, 1.5, -1),
);

/** Any JSON value, with nasty strings as keys and values. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constant(null),
    fc.boolean(),
    nastyNumber,
    nastyString,
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .array(fc.tuple(fc.oneof(nastyString, fc.constantFrom('__proto__', 'constructor')), tie('value')), {
        maxLength: 5,
      })
      .map(objectOf),
  ),
})).value;

/** An object whose keys are own properties even when they are "__proto__". */
export function objectOf(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** JSON text that JSON.stringify cannot make: deep nesting, huge and odd number literals, duplicates. */
export const rawJsonText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(1_000, 20_000, 200_000).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.constantFrom(1_000, 20_000, 100_000).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
  fc.constantFrom(
    '1e400',
    '-1e400',
    '123456789012345678901234567890',
    '{"answers":{"x":["A"]},"answers":{"y":["B"]}}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"polluted":true}}}',
    '{"a":1e99999}',
    '',
    ' ',
    'null',
    'true',
    '"string"',
    '[]',
    '{',
    '{"a":',
    '{"a":"\\ud800"}',
    '{"a":"\\u0000"}',
    '\ufeff{}',
    '{}garbage',
    'NaN',
    '{"a":01}',
    "{'a':1}",
  ),
);

// ---------------------------------------------------------------------------------------------
// Near-valid bodies: a valid body with one field mutated, dropped or added

type Path = (string | number)[];

function allPaths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v))
    v.forEach((x, i) => {
      out.push([...prefix, i]);
      allPaths(x, [...prefix, i], out);
    });
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.push([...prefix, k]);
      allPaths(x, [...prefix, k], out);
    }
  return out;
}

function containers(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (v && typeof v === 'object' && !Array.isArray(v)) out.push(prefix);
  if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) containers(x, [...prefix, Array.isArray(v) ? Number(k) : k], out);
  return out;
}

function at(root: unknown, path: Path): any {
  return path.reduce<any>((o, k) => o?.[k], root);
}

export type Mutation =
  | { op: 'set'; path: Path; value: unknown }
  | { op: 'poison'; path: Path; bad: string; at: number }
  | { op: 'drop'; path: Path }
  | { op: 'add'; path: Path; key: string; value: unknown };

/** Applies one mutation to a deep copy; "add" keeps "__proto__" as an own key. */
export function mutate(valid: unknown, m: Mutation): unknown {
  const copy = structuredClone(valid);
  if (m.op === 'add') {
    const target = m.path.length ? at(copy, m.path) : copy;
    Object.defineProperty(target, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    return copy;
  }
  if (!m.path.length) return m.op === 'set' ? m.value : undefined;
  const parent = at(copy, m.path.slice(0, -1));
  const key = m.path[m.path.length - 1]!;
  if (m.op === 'poison') {
    const s = String(parent[key]);
    const i = m.at % (s.length + 1);
    parent[key] = s.slice(0, i) + m.bad + s.slice(i);
  } else if (m.op === 'set') parent[key] = m.value;
  else if (Array.isArray(parent)) parent.splice(Number(key), 1);
  else delete parent[key];
  return copy;
}

/** Characters a string field may carry that Postgres text and jsonb refuse or that are not Unicode. */
export const BAD_CHARS = ['\u0000', '\ud800', '\udfff', '\udbff\udbff', '\uffff', '\u001b'];

/** Every string of a valid body in turn with a NUL, then a lone surrogate, put into it: run first, as examples. */
export function poisoned(valid: unknown): unknown[] {
  const strings = allPaths(valid).filter((p) => typeof at(valid, p) === 'string');
  return strings.flatMap((path) =>
    ['\u0000', '\ud800'].map((bad) => mutate(valid, { op: 'poison', path, bad, at: 1 })),
  );
}

/**
 * A valid body with exactly one field mutated (to any nasty value or a value of another type),
 * poisoned (a NUL or a lone surrogate put into one of its strings), dropped, or added.
 */
export function nearValid(valid: unknown): fc.Arbitrary<{ mutation: Mutation; body: unknown }> {
  const paths = allPaths(valid);
  const strings = paths.filter((p) => typeof at(valid, p) === 'string');
  const objects = containers(valid);
  const path = paths.length ? fc.constantFrom(...paths) : fc.constant<Path>([]);
  const value = fc.oneof(
    { weight: 3, arbitrary: nastyString },
    { weight: 2, arbitrary: nastyNumber },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], ['A', 'A'], 'A'.repeat(9)) },
    { weight: 2, arbitrary: nastyJson },
  );
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path, value }) },
    ...(strings.length
      ? [
          {
            weight: 3,
            arbitrary: fc.record({
              op: fc.constant('poison' as const),
              path: fc.constantFrom(...strings),
              bad: fc.constantFrom(...BAD_CHARS),
              at: fc.nat(1000),
            }),
          },
        ]
      : []),
    { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), path }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        path: objects.length ? fc.constantFrom(...objects) : fc.constant<Path>([]),
        key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', ''), nastyString),
        value,
      }),
    },
  );
  return mutation.map((m) => ({ mutation: m, body: mutate(valid, m) }));
}

// ---------------------------------------------------------------------------------------------
// Requests

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

export const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
/** Content types a client may wrongly send (or none at all). */
export const wrongContentType: fc.Arbitrary<string | undefined> = fc.constantFrom(
  undefined,
  '',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'multipart/form-data',
  'text/csv',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=gbk',
  'application/problem+json',
  'application/jsonx',
  'APPLICATION/JSON',
  '*/*',
  'a/b/c',
  'json',
);

/** A body as bytes on the wire: JSON of a value, raw JSON-ish text, or arbitrary bytes (invalid UTF-8 too). */
export const wireBody: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  { weight: 5, arbitrary: nastyJson.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 2, arbitrary: rawJsonText },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      Uint8Array.of(0xc0, 0xaf),
      Uint8Array.of(0xed, 0xa0, 0x80),
      Uint8Array.of(0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00),
      Uint8Array.of(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d),
      Uint8Array.of(0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0x00, 0x22, 0x7d),
    ),
  },
);

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates become U+FFFD, as on the wire). */
export function encodeSegment(s: string): string {
  return [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0').toUpperCase()}`,
    )
    .join('');
}

/**
 * A path segment: a percent-encoded nasty string, or raw text with broken escapes ("%ZZ", "%C0%AF").
 * Never empty, "." or ".." (the client would drop or fold them: no route at all), and short enough
 * that the request line stays under Node's 16 KiB header limit (see the test of that limit).
 */
export const pathSegment: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 4, arbitrary: nastyString.map(encodeSegment) },
    {
      weight: 2,
      arbitrary: fc.string({
        unit: fc.constantFrom('%', '0', '0', 'C', 'F', 'Z', 'a', 'A', '.', '-', '_', '~', '9', '8'),
        minLength: 1,
        maxLength: 16,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%00',
        '%ZZ',
        '%C0%AF',
        '%ED%A0%80',
        '%FF',
        '%',
        'a%2Fb',
        '%2e%2e%2f',
        'x'.repeat(2500),
      ),
    },
  )
  .filter((s) => s.length > 0 && s.length < 3_000 && !/^(\.|%2e){1,2}$/i.test(s));

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
  body: any;
}

export async function send(base: string, req: FuzzRequest): Promise<FuzzResponse> {
  const res = await fetch(base + req.path, {
    method: req.method,
    headers: req.headers,
    body: req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body,
  });
  const text = await res.text();
  const contentType = res.headers.get('content-type') ?? '';
  let body: unknown = text;
  if (contentType.includes('json') && text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: res.status, contentType, text, body };
}

/**
 * The answer property: 2xx, or a 4xx application/problem+json with `code`, `status` (the same as the
 * response's) and `title`. Never a 5xx, a redirect or a 4xx of another shape. Returns a reason or null.
 */
export function problemViolation(res: FuzzResponse): string | null {
  if (res.status >= 200 && res.status < 300) return null;
  if (res.status < 400 || res.status >= 500) return `status ${res.status}: ${res.text.slice(0, 300)}`;
  if (!res.contentType.startsWith('application/problem+json'))
    return `${res.status} with content-type "${res.contentType}": ${res.text.slice(0, 300)}`;
  const b = res.body as { code?: unknown; status?: unknown; title?: unknown } | string;
  if (typeof b !== 'object' || b === null) return `${res.status} problem body is not JSON: ${res.text.slice(0, 300)}`;
  if (typeof b.code !== 'string' || !b.code) return `${res.status} problem without code: ${res.text.slice(0, 300)}`;
  if (b.status !== res.status) return `problem status ${String(b.status)} differs from ${res.status}`;
  if (typeof b.title !== 'string' || !b.title) return `${res.status} problem without title`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// State snapshots

export interface Watched {
  candidates: { candidateId: string; attemptIds: string[]; tokens: string[] }[];
}

/**
 * Everything a route could touch: counts and a hash of the rows of bank versions, cycles,
 * candidates, attempts (not the checkpoint columns a worker writes) and sessions in Postgres; and in
 * Redis the candidates' state hashes, each watched try's hash and answers, and their sessions.
 */
export function snapshotter(dbUrl: string, prefix: string, watched: Watched) {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  const redis = new Redis(REDIS_URL);
  const keys = makeKeys(prefix);
  const take = async () => {
    const [row] = await sql<Record<string, string>[]>`
      select
        (select count(*) from bank_versions)::text as bank_versions,
        (select md5(coalesce(string_agg(concat_ws('|', bank_id, version, content_hash, title, retired_at), ',' order by bank_id, version), '')) from bank_versions) as bank_versions_hash,
        (select count(*) from cycles)::text as cycles,
        (select md5(coalesce(string_agg(concat_ws('|', cycle_id, title, opens_at, closes_at, policy_id, policy::text, updated_at), ',' order by cycle_id), '')) from cycles) as cycles_hash,
        (select count(*) from candidates)::text as candidates,
        (select md5(coalesce(string_agg(concat_ws('|', candidate_id, cycle_id, id_number, name, category, scopes::text, level, specialty, procedure, delegated_to, password_hash, updated_at), ',' order by candidate_id), '')) from candidates) as candidates_hash,
        (select count(*) from attempts)::text as attempts,
        (select md5(coalesce(string_agg(concat_ws('|', attempt_id, candidate_id, exam_id, number, status, seed, bank_versions::text, paper::text, scores::text, score, passed, started_at, finished_at), ',' order by attempt_id), '')) from attempts) as attempts_hash,
        (select count(*) from sessions)::text as sessions,
        (select md5(coalesce(string_agg(concat_ws('|', token_hash, candidate_id, expires_at), ',' order by token_hash), '')) from sessions) as sessions_hash`;
    const pipe = redis.pipeline();
    const names: string[] = [];
    for (const c of watched.candidates) {
      names.push(`state ${c.candidateId}`);
      pipe.hgetall(keys.state(c.candidateId));
      for (const a of c.attemptIds) {
        names.push(`attempt ${a}`);
        pipe.hgetall(keys.attempt(c.candidateId, a));
        names.push(`answers ${a}`);
        pipe.hgetall(keys.answers(c.candidateId, a));
      }
      for (const t of c.tokens) {
        names.push(`session ${t.slice(0, 12)}…`);
        pipe.exists(keys.session(c.candidateId, createHash('sha256').update(t).digest('base64url')));
      }
    }
    const replies = (await pipe.exec()) ?? [];
    const redisState: Record<string, string> = {};
    replies.forEach(([err, v], i) => {
      if (err) throw err;
      redisState[names[i]!] = typeof v === 'object' && v ? JSON.stringify(Object.entries(v).sort()) : String(v);
    });
    return { postgres: row!, redis: redisState };
  };
  return { take, close: async () => (await Promise.all([sql.end(), redis.quit()]), undefined) };
}
export type Snapshot = Awaited<ReturnType<ReturnType<typeof snapshotter>['take']>>;
