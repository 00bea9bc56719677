// Prepares a peak-window run against a running engine: publishes the bench banks and a cycle with
// the bench policy, registers the candidates, and writes the candidates file that the k6 script and
// the Node driver read (JSON lines of { idNumber, password } — plus { token } with --login).
//
//   npx tsx loadtest/setup.ts --url http://127.0.0.1:3000 --admin-token $ADMIN_TOKEN \
//       --candidates 20000 --think 30000-90000 --out loadtest/candidates.jsonl
//
// Registration goes through POST /v1/admin/cycles/:cycleId/candidates in batches of 1000 (each
// password is hashed with scrypt, ~36 ms of CPU a row on this 2-core box: 20,000 take ~6 min).
// `--register sql --database-url …` writes the rows straight into Postgres with one shared hash
// instead (seconds): for benches against a database of their own, never for real data.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { BENCH_PASSWORD, benchBanks, benchPolicy, idNumberFor, parseRange, registrationRow } from './scenario.js';

export interface Candidate {
  idNumber: string;
  password: string;
  token?: string;
}

async function call(base: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : null;
}

/** Banks and the cycle (open from an hour ago for a day). */
export async function publish(base: string, adminToken: string, cycleId: string, thinkMaxMs: number) {
  for (const bank of benchBanks()) await call(base, adminToken, 'PUT', `/v1/admin/banks/${bank.bankId}`, bank);
  const policy = benchPolicy(thinkMaxMs);
  await call(base, adminToken, 'PUT', `/v1/admin/cycles/${cycleId}`, {
    title: `压测 ${cycleId}`,
    opensAt: new Date(Date.now() - 3600_000).toISOString(),
    closesAt: new Date(Date.now() + 24 * 3600_000).toISOString(),
    policy,
  });
  return policy;
}

/** The candidates of a run: `count` valid id numbers from `first`. */
export function candidateList(count: number, first = 0, password = BENCH_PASSWORD): Candidate[] {
  return Array.from({ length: count }, (_, i) => ({ idNumber: idNumberFor(first + i), password }));
}

export async function registerApi(
  base: string,
  adminToken: string,
  cycleId: string,
  list: Candidate[],
  batch = 1000,
  log = (_: string) => {},
) {
  for (let i = 0; i < list.length; i += batch) {
    const rows = list.slice(i, i + batch).map((c) => registrationRow(c.idNumber, c.password));
    const r = await call(base, adminToken, 'POST', `/v1/admin/cycles/${cycleId}/candidates`, { candidates: rows });
    const bad = (r.results as { status: string; code?: string; detail?: string }[]).filter(
      (x) => x.status === 'rejected',
    );
    if (bad.length)
      throw new Error(`registration rejected ${bad.length} rows, e.g. ${bad[0]!.code}: ${bad[0]!.detail}`);
    log(`registered ${Math.min(i + batch, list.length)}/${list.length}`);
  }
}

/**
 * Inserts the rows into the engine's `candidates` table directly, all with the hash of one
 * password computed by the engine's own hashPassword: a bench shortcut around 36 ms of scrypt per row.
 */
export async function registerSql(databaseUrl: string, cycleId: string, list: Candidate[]) {
  const { default: postgres } = await import('postgres');
  const { hashPassword } = await import('../src/candidates/password.js');
  const hashes = new Map<string, string>();
  for (const c of list) if (!hashes.has(c.password)) hashes.set(c.password, await hashPassword(c.password));
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    for (let i = 0; i < list.length; i += 2000) {
      const rows = list.slice(i, i + 2000).map((c) => {
        const r = registrationRow(c.idNumber, c.password);
        return {
          candidate_id: candidateId(),
          cycle_id: cycleId,
          id_number: r.idNumber,
          name: r.name,
          category: r.category,
          scopes: sql.json(r.scopes),
          level: r.level,
          specialty: r.specialty,
          procedure: 'general',
          password_hash: hashes.get(c.password)!,
        };
      });
      await sql`insert into candidates ${sql(rows)} on conflict (cycle_id, id_number) do nothing`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
function candidateId() {
  const bytes = randomBytes(14);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % 36];
  return s;
}

/** Logs every candidate in (bounded concurrency) and returns them with their tokens. */
export async function loginAll(base: string, list: Candidate[], concurrency = 16): Promise<Candidate[]> {
  const out: Candidate[] = new Array(list.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < list.length; i = next++) {
        const c = list[i]!;
        const res = await fetch(`${base}/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ idNumber: c.idNumber, password: c.password }),
        });
        const body = (await res.json()) as { token?: string };
        if (res.status !== 200 || !body.token)
          throw new Error(`login of ${c.idNumber} failed: ${res.status} ${JSON.stringify(body)}`);
        out[i] = { ...c, token: body.token };
      }
    }),
  );
  return out;
}

export function writeCandidates(file: string, list: Candidate[]) {
  writeFileSync(file, list.map((c) => JSON.stringify(c)).join('\n') + '\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: 'http://127.0.0.1:3000' },
      'admin-token': { type: 'string', default: process.env.ADMIN_TOKEN },
      cycle: { type: 'string', default: 'peak' },
      candidates: { type: 'string', default: '20000' },
      first: { type: 'string', default: '0' },
      think: { type: 'string', default: '30000-90000' },
      out: { type: 'string', default: 'loadtest/candidates.jsonl' },
      register: { type: 'string', default: 'api' },
      'database-url': { type: 'string', default: process.env.DATABASE_URL },
      login: { type: 'boolean', default: false },
      'skip-publish': { type: 'boolean', default: false },
    },
  });
  const base = values.url.replace(/\/$/, '');
  const token = values['admin-token'];
  if (!token) throw new Error('--admin-token (or ADMIN_TOKEN) is required');
  const n = Number(values.candidates);
  const [, thinkMax] = parseRange(values.think);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  if (!values['skip-publish']) {
    const policy = await publish(base, token, values.cycle, thinkMax);
    log(
      `published banks and cycle ${values.cycle} (sections ${policy.exams[0]!.sections.map((s) => `${s.id} ${s.durationSec}s`).join(', ')})`,
    );
  }
  let list = candidateList(n, Number(values.first));
  const t0 = Date.now();
  if (values.register === 'sql') {
    if (!values['database-url']) throw new Error('--register sql needs --database-url');
    await registerSql(values['database-url'], values.cycle, list);
  } else await registerApi(base, token, values.cycle, list, 1000, log);
  log(`registered ${n} candidates in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (values.login) {
    const t1 = Date.now();
    list = await loginAll(base, list);
    log(`logged ${n} candidates in in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  }
  writeCandidates(values.out, list);
  log(`wrote ${values.out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e) => {
    process.stderr.write(`setup failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
