// npm run bench [-- --quick] [--candidates N] [--api auto|1|2] [--cpu-prof] …
//
// A benchmark (not a test): starts the engine as processes of its own against this machine's real
// Postgres and Redis (a database and a Redis prefix of its own, removed afterwards, also on Ctrl-C),
// then measures
//   1. the throughput ratio: closed-loop PUT /v1/attempts/:id/answers requests/s over the requests/s
//      of a bare node:http server answering a small JSON body — same generator (a child process),
//      same requests, same connection count, same number of server processes;
//   2. the peak window: N candidates pressing "start" within the window and sitting full papers
//      (Beijing item counts, compressed think time) through loadtest/driver.ts in a child process;
//   3. the audit: every answer the server acknowledged is in Postgres, no candidate over the cap.
// It prints progress, then the figures, writes bench/results.json, and ends with a one-line summary.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import type { DriverSummary, Progress } from '../loadtest/driver.js';
import { parseRange } from '../loadtest/scenario.js';
import {
  candidateList,
  loginAll,
  publish,
  registerApi,
  registerSql,
  writeCandidates,
  type Candidate,
} from '../loadtest/setup.js';
import type { GenConfig, GenRequest, GenResult } from './generator.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PG_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const CYCLE = 'peak';
const TSX = ['--import', 'tsx'];

// ------------------------------------------------------------------------------------ options
const { values: argv } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    candidates: { type: 'string' },
    api: { type: 'string', default: 'auto' },
    window: { type: 'string' },
    think: { type: 'string' },
    questions: { type: 'string' },
    connections: { type: 'string' },
    'ratio-connections': { type: 'string', default: '64' },
    'ratio-seconds': { type: 'string' },
    'no-ratio': { type: 'boolean', default: false },
    register: { type: 'string', default: 'sql' },
    'cpu-prof': { type: 'boolean', default: false },
    engine: { type: 'string', default: 'src' },
    grace: { type: 'string', default: '3000' },
    out: { type: 'string', default: path.join(ROOT, 'bench/results.json') },
    keep: { type: 'boolean', default: false },
  },
  allowPositionals: false,
});
const quick = argv.quick;
const opts = {
  quick,
  candidates: Number(argv.candidates ?? (quick ? 600 : 20_000)),
  windowSec: Number(argv.window ?? (quick ? 15 : 60)),
  // Compressed think time: the real 30-90 s per answer would make a full run last 100 minutes.
  thinkMs: parseRange(argv.think ?? (quick ? '300-700' : '5000-15000')),
  // Questions answered per section before submitting it: shorter sittings for a search over N.
  questions: argv.questions ? Number(argv.questions) : null,
  connections: Number(argv.connections ?? 256),
  ratioConnections: Number(argv['ratio-connections']),
  ratioSeconds: Number(argv['ratio-seconds'] ?? (quick ? 3 : 8)),
  ratioRounds: quick ? 1 : 2,
  ratio: !argv['no-ratio'],
  api: argv.api === 'auto' ? null : Number(argv.api),
  register: argv.register as 'sql' | 'api',
  cpuProf: argv['cpu-prof'],
  engine: argv.engine as 'src' | 'dist',
  graceMs: Number(argv.grace),
};
if (opts.api !== null && !(Number.isInteger(opts.api) && opts.api >= 1 && opts.api <= 8))
  throw new Error('--api is auto or 1..8');

const runId = `${Math.floor(Date.now() / 1000)}_${randomBytes(3).toString('hex')}`;
const dbName = `dk_bench_${runId}`;
const dbUrl = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
const prefix = `dkb-${runId}.`;
const tmp = path.join(ROOT, 'bench/.run', runId);
const profileDir = path.join(ROOT, 'bench/profiles');
const t0 = Date.now();
const say = (s: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${s}\n`);

// ------------------------------------------------------------------------------------ processes
interface Proc {
  name: string;
  child: ChildProcess;
  url?: string;
  exited: Promise<number | null>;
}
const procs = new Set<Proc>();

function logFile(name: string) {
  mkdirSync(tmp, { recursive: true });
  return createWriteStream(path.join(tmp, `${name}.log`));
}

function watch(name: string, child: ChildProcess, url?: string): Proc {
  const out = logFile(name);
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const p: Proc = { name, child, url, exited };
  procs.add(p);
  void exited.then(() => procs.delete(p));
  return p;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function engineEnv(role: string, port: number) {
  return {
    ...process.env,
    ROLE: role,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATABASE_URL: dbUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ADMIN_TOKEN,
    ANSWER_GRACE_MS: String(opts.graceMs),
    DEMO: 'false',
    LOAD_SHIPPED_BANKS: 'false',
    LOG_LEVEL: 'warn',
  };
}

function startEngine(role: 'api' | 'worker', name: string, port: number): Proc {
  const execArgv: string[] = [];
  if (opts.cpuProf) {
    // One folder per process: with tsx, the module-loader thread writes a profile of its own too
    // (the main thread's is the big one; bench/profile-top.ts picks it when given the folder).
    const dir = path.join(profileDir, `${runId}-${name}`);
    mkdirSync(dir, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const entry = opts.engine === 'dist' ? ['dist/main.js'] : [...TSX, 'src/main.ts'];
  const child = spawn(process.execPath, [...execArgv, ...entry], {
    cwd: ROOT,
    env: engineEnv(role, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(name, child, role === 'api' ? `http://127.0.0.1:${port}` : undefined);
}

async function waitHealthy(p: Proc, ms = 60_000) {
  const until = Date.now() + ms;
  let gone = false;
  void p.exited.then(() => (gone = true));
  for (;;) {
    if (gone)
      throw new Error(`${p.name} exited during start-up; see ${path.join(tmp, `${p.name}.log`)}:\n${tail(p.name)}`);
    try {
      const r = await fetch(`${p.url}/healthz`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`${p.name} did not become healthy in ${ms} ms:\n${tail(p.name)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tail(name: string) {
  try {
    return readFileSync(path.join(tmp, `${name}.log`), 'utf8')
      .split('\n')
      .slice(-20)
      .join('\n');
  } catch {
    return '';
  }
}

async function stop(p: Proc, ms = 20_000) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const done = await Promise.race([
    p.exited.then(() => true),
    new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
  ]);
  if (!done) {
    p.child.kill('SIGKILL');
    await p.exited;
  }
}

let worker: Proc | null = null;
let apis: Proc[] = [];

async function startLayout(n: number) {
  await Promise.all(apis.map((p) => stop(p)));
  apis = [];
  if (!worker) worker = startEngine('worker', 'worker', await freePort());
  for (let i = 0; i < n; i++) apis.push(startEngine('api', `api-${n}x${i + 1}`, await freePort()));
  await Promise.all(apis.map((p) => waitHealthy(p)));
  if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${tail('worker')}`);
}

/** CPU time (ms) of the engine's processes, the driver, and this machine's Redis and Postgres servers. */
function cpuSnapshot(): Record<string, number> {
  const tick = 10; // ms per clock tick (USER_HZ = 100 on Linux)
  const read = (pid: number) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      return (Number(rest[11]) + Number(rest[12])) * tick; // utime + stime
    } catch {
      return 0;
    }
  };
  const out: Record<string, number> = {};
  for (const p of procs) if (p.child.pid) out[p.name] = read(p.child.pid);
  out.bench = Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000);
  let pg = 0;
  let rd = 0;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let comm = '';
    try {
      comm = readFileSync(`/proc/${d}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'postgres' || comm.startsWith('postgres:')) pg += read(Number(d));
    else if (comm === 'redis-server') rd += read(Number(d));
  }
  out.postgres = pg;
  out.redis = rd;
  // The whole machine (others share this box: their use shows as "other").
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (cpuLine[3] ?? 0) + (cpuLine[4] ?? 0);
  const busy = cpuLine.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  out.machine = busy * tick;
  return out;
}

/** Cores used by each process between two snapshots. */
function coresUsed(a: Record<string, number>, b: Record<string, number>, ms: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) if (a[k] !== undefined) out[k] = Math.round(((v - a[k]) / ms) * 100) / 100;
  const ours = Object.entries(out)
    .filter(([k]) => k !== 'machine')
    .reduce((s2, [, v]) => s2 + v, 0);
  if (out.machine !== undefined) out.other = Math.max(0, Math.round((out.machine - ours) * 100) / 100);
  return out;
}

function rssMb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

// ------------------------------------------------------------------------------------ clean-up
let cleaning: Promise<void> | null = null;
/** Stops every process, drops the database, deletes the Redis keys; one run of it, however often called. */
function cleanup(keepLogs = false): Promise<void> {
  cleaning ??= doCleanup(keepLogs);
  return cleaning;
}
async function doCleanup(keepLogs: boolean) {
  await Promise.all([...procs].map((p) => stop(p, 15_000)));
  if (argv.keep) {
    say(`kept database ${dbName} and Redis prefix ${prefix} (--keep)`);
    return;
  }
  try {
    const sql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
    await sql.unsafe(`drop database if exists "${dbName}" with (force)`);
    await sql.end({ timeout: 5 });
  } catch (e) {
    process.stderr.write(`could not drop ${dbName}: ${(e as Error).message}\n`);
  }
  try {
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.unlink(...keys);
    } while (cursor !== '0');
    r.disconnect();
  } catch (e) {
    process.stderr.write(`could not delete Redis keys ${prefix}*: ${(e as Error).message}\n`);
  }
  if (keepLogs) say(`logs kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.on(sig, () => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping the engine and the load, dropping ${dbName}, deleting ${prefix}* (takes up to ~20 s)`);
    void cleanup().finally(() => process.exit(130));
  });

// ------------------------------------------------------------------------------------ helpers
async function candidateCall(base: string, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(base + p, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Runs the generator; `cores` are the cores each process used while it counted (warm-up excluded). */
function runGenerator(cfg: GenConfig): Promise<GenResult & { cores: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(ROOT, 'bench/generator.ts'), [], {
      cwd: ROOT,
      execArgv: TSX,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const p = watch('generator', child);
    let from = { t: 0, s: {} as Record<string, number> };
    let cores: Record<string, number> = {};
    child.on('message', (m: { type: string; at?: string; result?: GenResult; error?: string }) => {
      if (m.type === 'mark' && m.at === 'start') from = { t: Date.now(), s: cpuSnapshot() };
      else if (m.type === 'mark' && m.at === 'end') cores = coresUsed(from.s, cpuSnapshot(), Date.now() - from.t);
      else if (m.type === 'result') resolve({ ...m.result!, cores });
      else if (m.type === 'error') reject(new Error(m.error));
    });
    void p.exited.then((code) => code !== 0 && reject(new Error(`generator exited ${code}:\n${tail('generator')}`)));
    child.send(cfg);
  });
}

/**
 * The references of the ratio, as many processes as the engine has: `bare` (node:http answering a
 * small JSON body) and `floor` (node:http plus the engine's save script through ioredis).
 */
async function referenceServers(kind: 'bare' | 'floor', n: number): Promise<Proc[]> {
  const out: Proc[] = [];
  for (let i = 0; i < n; i++) {
    const port = await freePort();
    const args =
      kind === 'bare' ? [path.join(ROOT, 'bench/bare-server.mjs')] : [...TSX, path.join(ROOT, 'bench/floor-server.ts')];
    const env = {
      ...process.env,
      PORT: String(port),
      REDIS_URL,
      REDIS_PREFIX: prefix,
      ANSWER_GRACE_MS: String(opts.graceMs),
    };
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    out.push(watch(`${kind}-${i + 1}`, child, `http://127.0.0.1:${port}`));
  }
  for (const p of out) {
    for (let k = 0; ; k++) {
      try {
        await fetch(p.url!, { method: 'PUT', body: '{}' });
        break;
      } catch {
        if (k > 200) throw new Error(`${kind} server did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------ phases
interface RatioCandidate {
  token: string;
  attemptId: string;
  questions: string[];
}

async function prepareRatioCandidates(list: Candidate[]): Promise<RatioCandidate[]> {
  const logged = await loginAll(apis[0]!.url!, list, 16);
  const out: RatioCandidate[] = [];
  for (const c of logged) {
    const r = await candidateCall(apis[0]!.url!, c.token!, 'POST', '/v1/attempts', {});
    if (r.status !== 201) throw new Error(`ratio start failed: ${r.status} ${JSON.stringify(r.body)}`);
    out.push({
      token: c.token!,
      attemptId: r.body.id,
      questions: r.body.section.questions.map((q: { id: string }) => q.id),
    });
  }
  return out;
}

function answerRequests(cands: RatioCandidate[], targets: number): GenRequest[] {
  const out: GenRequest[] = [];
  const letters = ['A', 'B', 'C', 'D', 'E'];
  // Interleaved so that consecutive requests of a loop go to different candidates.
  const width = Math.max(...cands.map((c) => c.questions.length));
  for (let q = 0; q < width; q++)
    cands.forEach((c, i) => {
      const qid = c.questions[q];
      if (!qid) return;
      out.push({
        target: i % targets,
        method: 'PUT',
        path: `/v1/attempts/${c.attemptId}/answers`,
        headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ answers: { [qid]: [letters[(q + i) % 5]] } }),
      });
    });
  return out;
}

interface LayoutTrial {
  api: number;
  answerRps: number;
  baselineRps: number;
  ratio: number;
  /** The same save with no framework (bench/floor-server.ts), and its share of the bare rate. */
  floorRps: number;
  floorRatio: number;
  answerP99Ms: number;
  baselineP99Ms: number;
  errors: number;
  rounds: {
    baseline: GenResult;
    floor: GenResult;
    engine: GenResult;
    baselineCores: Record<string, number>;
    floorCores: Record<string, number>;
    engineCores: Record<string, number>;
  }[];
}

/**
 * This box may be shared: a measurement during which other processes took more than a third of a
 * core is taken again (up to 3 times); the least disturbed one counts, and its "other" is reported.
 */
let retriesLeft = quick ? 2 : 12; // --quick must stay within 3 minutes however busy the box is
async function quietly(run: () => Promise<GenResult & { cores: Record<string, number> }>, what: string) {
  let best: (GenResult & { cores: Record<string, number> }) | null = null;
  for (let k = 0; k < 3; k++) {
    const r = await run();
    if (!best || (r.cores.other ?? 0) < (best.cores.other ?? 0)) best = r;
    if ((r.cores.other ?? 0) <= 0.33) break;
    if (retriesLeft <= 0) {
      say(`    (${what}: other processes used ${r.cores.other} cores during the measurement; no re-measurement left)`);
      break;
    }
    retriesLeft--;
    say(`    (${what}: other processes used ${r.cores.other} cores during the measurement: measuring again)`);
  }
  return best!;
}

async function measureLayout(n: number, cands: RatioCandidate[]): Promise<LayoutTrial> {
  await startLayout(n);
  const requests = answerRequests(cands, n);
  const rounds: LayoutTrial['rounds'] = [];
  for (let round = 0; round < opts.ratioRounds; round++) {
    const base = { connections: opts.ratioConnections, warmupMs: 2000, durationMs: opts.ratioSeconds * 1000, requests };
    const measureReference = async (kind: 'bare' | 'floor') => {
      const servers = await referenceServers(kind, n);
      const r = await quietly(() => runGenerator({ ...base, targets: servers.map((p) => p.url!) }), kind);
      await Promise.all(servers.map((p) => stop(p)));
      return r;
    };
    const baseline = await measureReference('bare');
    const floor = await measureReference('floor');
    const engine = await quietly(() => runGenerator({ ...base, targets: apis.map((p) => p.url!) }), 'engine');
    rounds.push({
      baseline,
      floor,
      engine,
      baselineCores: baseline.cores,
      floorCores: floor.cores,
      engineCores: engine.cores,
    });
    say(
      `  ${n} API process${n > 1 ? 'es' : ''}, round ${round + 1}: bare ${baseline.rps} req/s (p99 ${baseline.p99Ms} ms), ` +
        `floor ${floor.rps} req/s (${floor.errors} errors), engine PUT answers ${engine.rps} req/s (p99 ${engine.p99Ms} ms, ${engine.errors} errors)`,
    );
    say(`    cores, bare: ${fmtCores(baseline.cores)}`);
    say(`    cores, floor: ${fmtCores(floor.cores)}`);
    say(`    cores, engine: ${fmtCores(engine.cores)}`);
  }
  const best = <K extends 'baseline' | 'floor' | 'engine'>(k: K) =>
    rounds.reduce((a, r) => (r[k].rps > a.rps ? r[k] : a), rounds[0]![k]);
  const b = best('baseline');
  const e = best('engine');
  const f = best('floor');
  return {
    api: n,
    answerRps: e.rps,
    baselineRps: b.rps,
    ratio: Math.round((e.rps / b.rps) * 1000) / 1000,
    floorRps: f.rps,
    floorRatio: Math.round((f.rps / b.rps) * 1000) / 1000,
    answerP99Ms: e.p99Ms,
    baselineP99Ms: b.p99Ms,
    errors: rounds.reduce((s, r) => s + r.engine.errors, 0),
    rounds,
  };
}

interface MemSample {
  t: number;
  active: number;
  usedMemory: number;
  rss: Record<string, number>;
}

async function peakWindow(list: Candidate[], redis: Redis) {
  const file = path.join(tmp, 'candidates.jsonl');
  const acksFile = path.join(tmp, 'acks.jsonl');
  writeCandidates(file, list);
  const args = [
    '--targets',
    apis.map((p) => p.url).join(','),
    '--candidates',
    file,
    '--window',
    String(opts.windowSec),
    '--think',
    `${opts.thinkMs[0]}-${opts.thinkMs[1]}`,
    '--connections',
    String(opts.connections),
    '--login-concurrency',
    '16',
    '--acks',
    acksFile,
    ...(opts.questions ? ['--questions', String(opts.questions)] : []),
  ];
  const samples: MemSample[] = [];
  let baseline: MemSample | null = null;
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);
  const sample = async (active: number): Promise<MemSample> => {
    const rss: Record<string, number> = {};
    for (const p of [...apis, worker!]) rss[p.name] = rssMb(p.child.pid);
    return { t: Date.now(), active, usedMemory: await usedMemory(), rss };
  };
  let lastLine = 0;
  const cpu: { lobby?: Record<string, number>; window?: Record<string, number> } = {};
  let cpuAt = { t: Date.now(), snap: {} as Record<string, number> };
  // Every 5 s of the window: request rate, tries active, BullMQ backlog and the cores of each process.
  const timeline: {
    t: number;
    rps: number;
    active: number;
    queues: Record<string, number>;
    cores: Record<string, number>;
  }[] = [];
  let tick = { t: 0, snap: {} as Record<string, number>, requests: 0 };
  const summary = await new Promise<DriverSummary>((resolve, reject) => {
    const child = fork(path.join(ROOT, 'loadtest/driver.ts'), args, {
      cwd: ROOT,
      execArgv: TSX,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const p = watch('driver', child);
    cpuAt = { t: Date.now(), snap: cpuSnapshot() };
    child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      if (s.includes('lobby:')) say(s.trim().replace(/^\[driver\] /, ''));
    });
    child.on('message', (m: { type: string } & Partial<Progress> & { summary?: DriverSummary }) => {
      if (m.type === 'summary') return resolve(m.summary!);
      if (m.type !== 'progress') return;
      if ((m.phase === 'window' && !cpu.lobby) || m.phase === 'done') {
        const snap = cpuSnapshot();
        cpu[m.phase === 'done' ? 'window' : 'lobby'] = coresUsed(cpuAt.snap, snap, Date.now() - cpuAt.t);
        cpuAt = { t: Date.now(), snap };
        if (m.phase === 'window') tick = { t: Date.now(), snap, requests: m.requests ?? 0 };
      }
      if (m.phase === 'lobby') {
        if (Date.now() - lastLine >= 10_000) {
          lastLine = Date.now();
          say(`  lobby: ${m.loggedIn} logged in`);
        }
        return;
      }
      void sample(m.active ?? 0).then((s) => {
        if (!baseline) baseline = s;
        else samples.push(s);
      });
      if (Date.now() - tick.t >= 5000 || m.phase === 'done') {
        const snap = cpuSnapshot();
        const now = Date.now();
        const from = tick;
        tick = { t: now, snap, requests: m.requests ?? 0 };
        void queueDepth(redis).then((q) =>
          timeline.push({
            t: Math.round((m.elapsedMs ?? 0) / 1000),
            rps: Math.round(((m.requests ?? 0) - from.requests) / ((now - from.t) / 1000)),
            active: m.active ?? 0,
            queues: q,
            cores: coresUsed(from.snap, snap, now - from.t),
          }),
        );
      }
      if (m.phase === 'window' && Date.now() - lastLine >= (quick ? 5000 : 10_000)) {
        lastLine = Date.now();
        say(
          `  window ${Math.round((m.elapsedMs ?? 0) / 1000)} s: arrived ${m.arrived}, active ${m.active}, finished ${m.finished}, aborted ${m.aborted}, requests ${m.requests}, errors ${m.errors}`,
        );
      }
    });
    void p.exited.then((code) => code !== 0 && reject(new Error(`driver exited ${code}:\n${tail('driver')}`)));
  });
  const base = baseline as MemSample | null;
  // The first sample with the most tries active (they have just started) and the last one (their
  // answer logs full, and the BullMQ jobs they caused retained): the cost of a try grows over a sitting.
  const peak = samples.reduce<MemSample | null>((a, s) => (!a || s.active > a.active ? s : a), null);
  const late = samples.reduce<MemSample | null>((a, s) => (!a || s.active >= a.active ? s : a), null);
  const rssMax: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s.rss)) rssMax[k] = Math.max(rssMax[k] ?? 0, v);
  const redisMemory =
    base && peak && peak.active > 0
      ? {
          baselineMb: Math.round(base.usedMemory / 1048576),
          atPeakMb: Math.round(peak.usedMemory / 1048576),
          maxMb: Math.round(Math.max(...samples.map((s) => s.usedMemory)) / 1048576),
          activeTriesAtPeak: peak.active,
          bytesPerActiveTry: Math.round((peak.usedMemory - base.usedMemory) / peak.active),
          lateMb: Math.round(late!.usedMemory / 1048576),
          bytesPerActiveTryLate: Math.round((late!.usedMemory - base.usedMemory) / late!.active),
        }
      : null;
  return { summary, acksFile, redisMemory, rssMaxMb: rssMax, cpu, timeline };
}

/** Jobs waiting in the engine's BullMQ queues (records: Postgres writes; deadlines: delayed timers). */
async function queueDepth(redis: Redis): Promise<Record<string, number>> {
  const q = (name: string) => `${prefix}{dk-${name}}:${name}`;
  const [rw, ra, dw, dd] = await Promise.all([
    redis.llen(`${q('records')}:wait`),
    redis.llen(`${q('records')}:active`),
    redis.llen(`${q('deadlines')}:wait`),
    redis.zcard(`${q('deadlines')}:delayed`),
  ]);
  return { recordsWaiting: rw, recordsActive: ra, deadlinesWaiting: dw, deadlinesDelayed: dd };
}

/** Concurrent starts against the cap: each candidate clicks 4 times at once, three tries running. */
async function capProbe(list: Candidate[]) {
  const logged = await loginAll(apis[0]!.url!, list, 8);
  let extraTriesAccepted = 0;
  let overCapAccepted = 0;
  let unexpected = 0;
  await Promise.all(
    logged.map(async (c, i) => {
      const base = apis[i % apis.length]!.url!;
      for (let round = 1; round <= 4; round++) {
        const replies = await Promise.all(
          Array.from({ length: 4 }, () => candidateCall(base, c.token!, 'POST', '/v1/attempts', {})),
        );
        const won = replies.filter((r) => r.status === 201);
        if (round === 4) {
          overCapAccepted += won.length;
          unexpected += replies.filter((r) => r.status !== 201 && r.body?.code !== 'attempt_cap_reached').length;
          continue;
        }
        if (won.length > 1) extraTriesAccepted += won.length - 1;
        unexpected += replies.filter((r) => r.status !== 201 && r.body?.code !== 'attempt_in_progress').length;
        if (!won.length) continue;
        let view = won[0]!.body;
        while (view?.status === 'in_progress' && view.section) {
          const r = await candidateCall(
            base,
            c.token!,
            'POST',
            `/v1/attempts/${view.id}/sections/${view.section.id}/submit`,
          );
          if (r.status !== 200) {
            unexpected++;
            break;
          }
          view = r.body;
        }
      }
    }),
  );
  return { candidates: list.length, extraTriesAccepted, overCapAccepted, unexpected };
}

/** Waits until Postgres has every finished try; returns how many it has and how long that took. */
async function waitForRecords(sql: postgres.Sql, redis: Redis, finished: number, ms: number) {
  const t = Date.now();
  let last = 0;
  for (;;) {
    const [row] = await sql<
      { n: number }[]
    >`select count(*)::int n from attempts where status = 'finished' and cycle_id = ${CYCLE}`;
    if (row!.n >= finished) return { recorded: row!.n, lagMs: Date.now() - t, caughtUp: true };
    if (Date.now() - t > ms) return { recorded: row!.n, lagMs: Date.now() - t, caughtUp: false };
    if (Date.now() - last > 15_000) {
      last = Date.now();
      const q = await queueDepth(redis);
      say(
        `  waiting for the record: ${row!.n}/${finished} finished tries in Postgres, ${q.recordsWaiting} record jobs waiting`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

interface Ack {
  attemptId: string;
  idNumber: string;
  answers: Record<string, string>;
}
interface PaperItem {
  id: string;
  type: string;
  order: string[];
}

async function audit(sql: postgres.Sql, acksFile: string, maxAttempts: number) {
  const acks: Ack[] = existsSync(acksFile)
    ? readFileSync(acksFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Ack)
    : [];
  let answersChecked = 0;
  let lostAnswers = 0;
  let missingAttempts = 0;
  let unfinishedAttempts = 0;
  const examples: string[] = [];
  for (let i = 0; i < acks.length; i += 1000) {
    const chunk = acks.slice(i, i + 1000);
    const rows = await sql<
      {
        attempt_id: string;
        status: string;
        answers: Record<string, string>;
        sections: { units: { items: PaperItem[] }[] }[];
      }[]
    >`
      select attempt_id, status, answers, paper->'sections' as sections from attempts where attempt_id in ${sql(chunk.map((a) => a.attemptId))}`;
    const byId = new Map(rows.map((r) => [r.attempt_id, r]));
    for (const a of chunk) {
      const n = Object.keys(a.answers).length;
      answersChecked += n;
      const row = byId.get(a.attemptId);
      if (!row) {
        missingAttempts++;
        lostAnswers += n;
        if (examples.length < 5) examples.push(`${a.attemptId}: not in Postgres`);
        continue;
      }
      if (row.status !== 'finished') unfinishedAttempts++;
      const items = new Map<string, PaperItem>();
      for (const s of row.sections) for (const u of s.units) for (const it of u.items) items.set(it.id, it);
      for (const [qid, letters] of Object.entries(a.answers)) {
        const it = items.get(qid);
        // Display letters → the bank's keys, as the server maps them (DESIGN §4: re-lettered options).
        const keys = it
          ? [...letters]
              .map((l) => (it.type === 'truefalse' ? l : it.order[l.charCodeAt(0) - 65]))
              .sort()
              .join('')
          : '?';
        if (row.answers?.[qid] !== keys) {
          lostAnswers++;
          if (examples.length < 5)
            examples.push(
              `${a.attemptId} ${qid}: acknowledged ${letters} (= ${keys}), Postgres has ${row.answers?.[qid] ?? 'nothing'}`,
            );
        }
      }
    }
  }
  const over = await sql<{ candidate_id: string; exam_id: string; n: number; top: number }[]>`
    select candidate_id, exam_id, count(*)::int n, max(number)::int top from attempts group by 1, 2
    having count(*) > ${maxAttempts} or max(number) > ${maxAttempts}`;
  const dupNumbers = await sql<{ n: number }[]>`
    select count(*)::int n from (select candidate_id, exam_id, number from attempts group by 1, 2, 3 having count(*) > 1) d`;
  return {
    attemptsChecked: acks.length,
    answersChecked,
    lostAnswers,
    missingAttempts,
    unfinishedAttempts,
    capViolations: over.length + dupNumbers[0]!.n,
    examples,
  };
}

async function versions(redis: Redis, sql: postgres.Sql) {
  const info = await redis.info('server');
  const [pg] = await sql<{ server_version: string }[]>`show server_version`;
  return { redis: /redis_version:(\S+)/.exec(info)?.[1] ?? '?', postgres: pg?.server_version ?? '?' };
}

// ------------------------------------------------------------------------------------ main
async function main() {
  say(`bench ${quick ? '--quick ' : ''}run ${runId}: database ${dbName}, Redis prefix ${prefix}`);
  const adminSql = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await adminSql.unsafe(`create database "${dbName}"`);
  await adminSql.end({ timeout: 5 });
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  const sql = postgres(dbUrl, { max: 2, onnotice: () => {} });

  const firstLayout = opts.api === null ? 1 : opts.api;
  await startLayout(firstLayout);
  say(
    `engine up: ${firstLayout} API process(es) + 1 worker (${opts.engine === 'dist' ? 'node dist/main.js' : 'node --import tsx src/main.ts'})`,
  );

  const policy = await publish(apis[0]!.url!, ADMIN_TOKEN, CYCLE, opts.thinkMs[1]);
  const maxAttempts = policy.exams[0]!.maxAttempts;
  const ratioCount = opts.ratio ? Math.max(opts.ratioConnections * 2, 64) : 0;
  const capCount = quick ? 10 : 20;
  const all = candidateList(opts.candidates + ratioCount + capCount);
  const peakList = all.slice(0, opts.candidates);
  const ratioList = all.slice(opts.candidates, opts.candidates + ratioCount);
  const capList = all.slice(opts.candidates + ratioCount);
  const tReg = Date.now();
  if (opts.register === 'api') await registerApi(apis[0]!.url!, ADMIN_TOKEN, CYCLE, all, 1000, (s) => say(`  ${s}`));
  else await registerSql(dbUrl, CYCLE, all);
  say(
    `published banks and cycle "${CYCLE}" (sections ${policy.exams[0]!.sections.map((s) => `${s.id} ${s.items} items ${s.durationSec} s`).join(', ')}); registered ${all.length} candidates (${opts.register}) in ${((Date.now() - tReg) / 1000).toFixed(1)} s`,
  );

  // 1. throughput ratio
  const trials: LayoutTrial[] = [];
  let chosen = opts.api === null ? 1 : opts.api;
  if (opts.ratio) {
    say(
      `throughput ratio: closed loop, ${opts.ratioConnections} connections, ${opts.ratioSeconds} s per measurement, generator in its own process`,
    );
    const cands = await prepareRatioCandidates(ratioList);
    const layouts = opts.api === null ? [1, 2] : [opts.api];
    for (const n of layouts) trials.push(await measureLayout(n, cands));
    chosen = trials.reduce((a, t) => (t.answerRps > a.answerRps ? t : a)).api;
  }
  if (apis.length !== chosen) await startLayout(chosen);
  const trial = trials.find((t) => t.api === chosen);
  const layoutNote =
    opts.api === null
      ? opts.ratio
        ? `${chosen} API process${chosen > 1 ? 'es' : ''} + 1 worker: the faster of ${trials.map((t) => `${t.api} API (${t.answerRps} req/s)`).join(' and ')} on this box`
        : `${chosen} API process + 1 worker (--no-ratio: layouts not compared)`
      : `${chosen} API process${chosen > 1 ? 'es' : ''} + 1 worker (--api ${chosen})`;
  say(
    `layout: ${layoutNote}; the driver gives virtual candidate i to API process i mod ${chosen} (round-robin: stands in for a load balancer)`,
  );

  // 2. peak window
  say(
    `peak window: ${opts.candidates} candidates start within ${opts.windowSec} s, think ${opts.thinkMs[0]}-${opts.thinkMs[1]} ms per answer, ${opts.questions ? `${opts.questions} questions answered per section, ` : ''}${opts.connections} connections; lobby logins first`,
  );
  const peak = await peakWindow(peakList, redis);
  const s = peak.summary;
  say(
    `peak window done in ${(s.windowMs / 1000).toFixed(1)} s: ${s.finished} finished, ${s.aborted} aborted, ${s.requests} requests, ${s.errors} errors, peak ${s.peakRps} req/s`,
  );

  // 3. cap probe and audit
  const cap = await capProbe(capList);
  say(
    `cap probe: ${cap.candidates} candidates clicking "start" 4× at once for 4 rounds: ${cap.extraTriesAccepted} extra tries, ${cap.overCapAccepted} over the cap, ${cap.unexpected} unexpected replies`,
  );
  const rec = await waitForRecords(sql, redis, s.finished + cap.candidates * maxAttempts, quick ? 60_000 : 600_000);
  const recorded = rec.recorded;
  say(
    `record: ${rec.recorded} finished tries in Postgres ${rec.caughtUp ? `${(rec.lagMs / 1000).toFixed(1)} s after the last sitting` : `after waiting ${(rec.lagMs / 1000).toFixed(0)} s (not caught up)`}`,
  );
  // Tries that did not finish are checkpointed every CHECKPOINT_MS (5 s by default).
  if (s.aborted) await new Promise((r) => setTimeout(r, 7000));
  const au = await audit(sql, peak.acksFile, maxAttempts);
  say(
    `audit: ${au.answersChecked} acknowledged answers in ${au.attemptsChecked} tries checked against Postgres (${au.unfinishedAttempts} of those tries not yet recorded as finished, their answers from checkpoints): ${au.lostAnswers} lost, ${au.capViolations} cap violations`,
  );
  for (const e of au.examples) say(`  e.g. ${e}`);

  const cpus = os.cpus();
  const v = await versions(redis, sql);
  const ep = s.endpoints;
  const result = {
    ratio: trial?.ratio ?? null,
    baselineRps: trial?.baselineRps ?? null,
    answerRps: trial?.answerRps ?? null,
    floorRps: trial?.floorRps ?? null,
    floorRatio: trial?.floorRatio ?? null,
    candidates: opts.candidates,
    errors: s.errors + (trial?.errors ?? 0) + cap.unexpected,
    lostAnswers: au.lostAnswers,
    capViolations: au.capViolations + cap.overCapAccepted + cap.extraTriesAccepted + s.duplicateStartsAccepted,
    p99SaveMs: ep.save?.p99 ?? null,
    p99StartMs: ep.start?.p99 ?? null,
    layout: {
      api: chosen,
      worker: 1,
      choice: opts.api === null ? 'auto: the faster closed-loop answer rate' : `--api ${chosen}`,
      note: layoutNote,
      balancing: `round-robin: the driver gives virtual candidate i to API process i mod ${chosen} (stands in for a load balancer)`,
      trials: trials.map(({ rounds, ...t }) => ({
        ...t,
        rounds: rounds.map((r) => ({
          baselineRps: r.baseline.rps,
          floorRps: r.floor.rps,
          answerRps: r.engine.rps,
          baselineCores: r.baselineCores,
          floorCores: r.floorCores,
          engineCores: r.engineCores,
        })),
      })),
      engine: opts.engine === 'dist' ? 'node dist/main.js' : 'node --import tsx src/main.ts',
      cpuProfile: opts.cpuProf ? profileDir : null,
    },
    machine: {
      cpus: cpus.length,
      cpuModel: cpus[0]?.model ?? '?',
      memoryGb: Math.round(os.totalmem() / 1073741824),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      ...v,
    },
    params: {
      quick,
      windowSec: opts.windowSec,
      thinkMs: opts.thinkMs,
      questionsPerSection: opts.questions,
      connections: opts.connections,
      ratioConnections: opts.ratioConnections,
      ratioSeconds: opts.ratioSeconds,
      register: opts.register,
      answerGraceMs: opts.graceMs,
      policy: policy.exams[0]!.sections.map((x) => ({ id: x.id, items: x.items, durationSec: x.durationSec })),
    },
    peak: {
      started: s.started,
      finished: s.finished,
      aborted: s.aborted,
      requests: s.requests,
      errors: s.errors,
      errorsByCode: s.errorsByCode,
      answersAcknowledged: s.answersAcknowledged,
      duplicateStartsRejected: s.duplicateStartsRejected,
      duplicateStartsAccepted: s.duplicateStartsAccepted,
      activePeak: s.activePeak,
      peakRps: s.peakRps,
      meanRps: Math.round((s.requests - (ep.login?.count ?? 0)) / (s.windowMs / 1000)),
      windowMs: s.windowMs,
      lobbyMs: s.lobbyMs,
      loginsPerSec: s.loginsPerSec,
      endpoints: s.endpoints,
      redisMemory: peak.redisMemory,
      rssMaxMb: peak.rssMaxMb,
      coresUsed: peak.cpu,
      timeline: peak.timeline,
      driver: s.driver,
      rpsTimeline: s.rpsTimeline,
    },
    audit: { ...au, capProbe: cap, finishedRecorded: recorded, recordLagMs: rec.lagMs, recordCaughtUp: rec.caughtUp },
    runId,
    startedAt: new Date(t0).toISOString(),
    durationSec: Math.round((Date.now() - t0) / 1000),
  };
  mkdirSync(path.dirname(argv.out), { recursive: true });
  writeFileSync(argv.out, JSON.stringify(result, null, 2) + '\n');

  redis.disconnect();
  await sql.end({ timeout: 5 });
  await cleanup();

  const table = Object.entries(ep)
    .map(
      ([tag, e]) =>
        `  ${tag.padEnd(7)} ${String(e.count).padStart(9)}  p50 ${fmt(e.p50)}  p95 ${fmt(e.p95)}  p99 ${fmt(e.p99)}  max ${fmt(e.max)}  errors ${e.errors}`,
    )
    .join('\n');
  const mem = peak.redisMemory;
  process.stdout.write(
    [
      '',
      `machine: ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGb} GB, Node ${process.version}, Redis ${v.redis}, Postgres ${v.postgres}`,
      `layout: ${layoutNote}`,
      trial
        ? `throughput: engine PUT answers ${trial.answerRps} req/s / bare node:http ${trial.baselineRps} req/s = ratio ${trial.ratio}; floor (node:http + the save script, no framework) ${trial.floorRps} req/s = ${trial.floorRatio}`
        : 'throughput: not measured (--no-ratio)',
      `peak window (ms, measured by the driver):`,
      table,
      `  logins ${s.loginsPerSec}/s in the lobby; peak ${s.peakRps} req/s, mean ${result.peak.meanRps} req/s; ${s.activePeak} tries active at once`,
      mem
        ? `redis: ${mem.baselineMb} MB before the window, ${mem.atPeakMb} MB when ${mem.activeTriesAtPeak} tries had started → ${(mem.bytesPerActiveTry / 1024).toFixed(1)} KiB per active try; ${mem.lateMb} MB at the end of their sittings → ${(mem.bytesPerActiveTryLate / 1024).toFixed(1)} KiB (answer logs and retained BullMQ jobs included)`
        : 'redis: no sample',
      `cores used in the lobby: ${fmtCores(peak.cpu.lobby)}`,
      `cores used in the window: ${fmtCores(peak.cpu.window)}`,
      `rss (max MB): ${Object.entries(peak.rssMaxMb)
        .map(([k, v2]) => `${k} ${v2}`)
        .join(', ')}; driver ${s.driver.rssMaxMb}, its event-loop delay p99 ${s.driver.eventLoopDelayP99Ms} ms`,
      s.errors ? `errors: ${JSON.stringify(s.errorsByCode)}` : 'errors: none',
      `wrote ${path.relative(process.cwd(), argv.out) || argv.out}`,
      `bench${quick ? ' --quick' : ''}: ratio ${result.ratio ?? 'n/a'} (${result.answerRps ?? '-'}/${result.baselineRps ?? '-'} req/s) | ${opts.candidates} candidates, ${s.finished} finished, errors ${result.errors}, lostAnswers ${result.lostAnswers}, capViolations ${result.capViolations} | p99 save ${result.p99SaveMs} ms, p99 start ${result.p99StartMs} ms | ${chosen} api + 1 worker | ${result.durationSec} s`,
      '',
    ].join('\n'),
  );
}

const fmtCores = (c?: Record<string, number>) =>
  c
    ? Object.entries(c)
        .filter(([, v]) => v >= 0.01)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')
    : 'n/a';
const fmt = (v: number) => `${v.toFixed(1)}`.padStart(8);

main().catch(async (e) => {
  // Interrupted: the signal handler is cleaning up; what failed here failed because of that.
  if (interrupted) return void (await cleanup());
  process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`);
  await cleanup(true);
  process.exit(1);
});
