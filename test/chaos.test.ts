// Chaos: real engine processes (ROLE=api, ROLE=worker) on a database of this file's own, a Redis
// server of its own (no persistence, so killing it loses everything) and a TCP proxy in front of
// Postgres that can be cut. Candidates sit through plain HTTP; every answer the server acknowledged
// is recorded with the time of its acknowledgement, and after each fault the test checks what
// survived. The engine's promise (docs/reliability.md): nothing acknowledged is lost while Redis
// keeps its data; when Redis loses it, nothing acknowledged more than CHECKPOINT_MS before the loss.
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ADMIN_URL } from './support/global-setup.js';
import { makeBank, openWindow, registration } from './support/fixtures.js';
import { crash, freePort, portOf, run, startRedis, stopAll, until, type Proc } from './support/processes.js';

const CHECKPOINT_MS = 500;
const SWEEP_MS = 2000;
const GRACE_MS = 500;
const ADMIN_TOKEN = 'chaos-admin-token-0123456789';
const LETTERS = 'ABCDEFGH';

let dbName = '';
let dbUrl = '';
let redisPort = 0;
let redis: Proc | null = null;
let proxy: PgProxy | null = null;
let api: Proc | null = null;
let worker: Proc | null = null;
let base = '';
const sitters: Sitter[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- HTTP

interface Reply {
  /** HTTP status, or 'timeout' / 'error' (refused, reset) when no answer came. */
  status: number | 'timeout' | 'error';
  body: any;
}

async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(base + path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
    };
  } catch (e) {
    return { status: (e as Error).name === 'TimeoutError' ? 'timeout' : 'error', body: String(e) };
  }
}
const admin = (method: string, path: string, body?: unknown) => call(method, path, { token: ADMIN_TOKEN, body });

async function ok(r: Promise<Reply>, what: string): Promise<any> {
  const reply = await r;
  if (reply.status !== 200 && reply.status !== 201)
    throw new Error(`${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Polls until `probe` answers something truthy; returns it and when it did. */
async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, ms: number, what: string) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return { value: v, at: Date.now() };
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

// ---------------------------------------------------------------- processes

function env(): Record<string, string> {
  return {
    DATABASE_URL: proxy!.url(dbName),
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    ADMIN_TOKEN,
    PORT: '0',
    HOST: '127.0.0.1',
    CHECKPOINT_MS: String(CHECKPOINT_MS),
    SWEEP_MS: String(SWEEP_MS),
    ANSWER_GRACE_MS: String(GRACE_MS),
    LOAD_SHIPPED_BANKS: 'false',
    DEMO: 'false',
  };
}
async function startApi() {
  const p = run({ ...env(), ROLE: 'api' });
  await until(p, '"msg":"engine started"', 60_000);
  api = p;
  base = `http://127.0.0.1:${portOf(p)}`;
}
async function startWorker() {
  const p = run({ ...env(), ROLE: 'worker' });
  await until(p, '"msg":"engine started"', 60_000);
  worker = p;
}
/** Redis dies without persistence and comes back empty: everything it held is gone. */
async function loseRedis(downMs = 0) {
  // The loss is dated when the signal is sent: Redis dies after that, so ages are never overstated.
  const at = Date.now();
  await crash(redis!);
  if (downMs) await sleep(downMs);
  redis = await startRedis(redisPort);
  return { lostAt: at, backAt: Date.now() };
}

/** A TCP proxy in front of Postgres that can be cut: connections are refused and open ones destroyed. */
class PgProxy {
  private server: Server;
  private sockets = new Set<Socket>();
  private cut = false;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      if (this.cut) return void client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }
  async listen() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  url(db: string) {
    const u = new URL(ADMIN_URL);
    u.host = `127.0.0.1:${this.port}`;
    u.pathname = `/${db}`;
    return u.toString();
  }
  sever() {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }
  restore() {
    this.cut = false;
  }
  async close() {
    this.sever();
    await new Promise((r) => this.server.close(r));
  }
}

// ---------------------------------------------------------------- candidates

interface Sent {
  qid: string;
  letters: string;
  sentAt: number;
  /** When the 200 arrived; undefined when the request failed or got no answer. */
  ackAt?: number;
  status: Reply['status'];
}

class Sitter {
  token = '';
  candidateId = '';
  attemptId = '';
  section: { id: string; questions: { id: string; options: { key: string }[] }[] } | null = null;
  finished = false;
  sent: Sent[] = [];
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    readonly cycleId: string,
    readonly reg: ReturnType<typeof registration>,
  ) {}

  static async register(cycleId: string, n: number): Promise<Sitter[]> {
    const regs = Array.from({ length: n }, () => registration());
    const r = await ok(admin('POST', `/v1/admin/cycles/${cycleId}/candidates`, { candidates: regs }), 'register');
    return regs.map((reg, i) => {
      const s = new Sitter(cycleId, reg);
      s.candidateId = r.results[i].candidateId as string;
      sitters.push(s);
      return s;
    });
  }

  async login() {
    const body = await ok(
      call('POST', '/v1/auth/login', { body: { idNumber: this.reg.idNumber, password: this.reg.password } }),
      'login',
    );
    this.token = body.token as string;
  }

  as(method: string, path: string, body?: unknown, timeoutMs?: number) {
    return call(method, path, { token: this.token, body, timeoutMs });
  }

  async start() {
    this.take(await ok(this.as('POST', '/v1/attempts', {}), 'start'));
  }

  /** A whole try submitted at once (no answers): a finished try before the one that runs. */
  async finishedTry() {
    const a = await ok(this.as('POST', '/v1/attempts', {}), 'start');
    let view = a;
    while (view.status !== 'finished')
      view = await ok(this.as('POST', `/v1/attempts/${a.id}/sections/${view.section.id}/submit`), 'submit');
  }

  async me() {
    return ok(this.as('GET', '/v1/me'), 'me') as Promise<{
      attempts: { used: number };
      activeAttemptId: string | null;
    }>;
  }

  async view() {
    return ok(this.as('GET', `/v1/attempts/${this.attemptId}`), 'view');
  }

  private take(view: any) {
    this.attemptId = view.id;
    this.finished = view.status === 'finished';
    this.section = this.finished ? null : view.section;
  }

  /**
   * Saves one answer after another (round robin over the section's questions, a random letter each
   * time) until stopped or the try is finished. `submitAt`: elapsed times at which to submit the
   * running section instead.
   */
  drive(opts: { gapMs?: number; submitAt?: number[] } = {}) {
    this.stopped = false;
    const t0 = Date.now();
    const submits = [...(opts.submitAt ?? [])];
    let i = 0;
    this.loop = (async () => {
      while (!this.stopped && !this.finished) {
        if (!this.section) {
          const v = await this.as('GET', `/v1/attempts/${this.attemptId}`, undefined, 3000);
          if (v.status === 200) this.take(v.body);
          else await sleep(200);
          continue;
        }
        if (submits.length && Date.now() - t0 >= submits[0]!) {
          const r = await this.as('POST', `/v1/attempts/${this.attemptId}/sections/${this.section.id}/submit`);
          if (r.status === 200) {
            submits.shift();
            this.take(r.body);
          }
          continue;
        }
        const q = this.section.questions[i++ % this.section.questions.length]!;
        const letters = LETTERS[Math.floor(Math.random() * q.options.length)]!;
        const entry: Sent = { qid: q.id, letters, sentAt: Date.now(), status: 'error' };
        this.sent.push(entry);
        const r = await this.as(
          'PUT',
          `/v1/attempts/${this.attemptId}/answers`,
          { answers: { [q.id]: [letters] } },
          3000,
        );
        entry.status = r.status;
        if (r.status === 200) entry.ackAt = Date.now();
        else if (r.status === 409)
          this.section = null; // the section ended: look again
        else await sleep(100);
        await sleep(opts.gapMs ?? 60);
      }
    })();
  }

  async stop() {
    this.stopped = true;
    await this.loop;
  }

  /** Waits until the try is finished (the driver stops by itself then). */
  async done() {
    await this.loop;
  }
}

interface Audit {
  acked: number;
  /** Questions whose last acknowledged answer came before the bound: these must be intact. */
  due: number;
  intact: number;
  /** Acknowledged answers newer than the bound (allowed to be lost) and how many of them survived. */
  recent: number;
  recentKept: number;
  /** The age at the fault of the oldest last-acknowledged answer that did not survive (the loss window seen). */
  oldestLostMs: number;
  lost: { qid: string; want: string; got: string | undefined; ageMs: number }[];
}

/**
 * Compares what the server shows now (`got`: question id → letters) with what it acknowledged. A
 * question's last answer acknowledged before `bound` must be there, or one sent after it (a later
 * request may have landed even if its reply never came).
 */
function audit(s: Sitter, got: Record<string, string | undefined>, bound: number, faultAt: number): Audit {
  const a: Audit = { acked: 0, due: 0, intact: 0, recent: 0, recentKept: 0, oldestLostMs: 0, lost: [] };
  const byQ = new Map<string, Sent[]>();
  for (const e of s.sent) byQ.set(e.qid, [...(byQ.get(e.qid) ?? []), e]);
  for (const [qid, list] of byQ) {
    const acks = list.filter((e) => e.ackAt !== undefined);
    a.acked += acks.length;
    const due = acks.filter((e) => e.ackAt! < bound).at(-1);
    const later = due ? list.filter((e) => e.sentAt > due.sentAt) : list;
    const lastAck = acks.at(-1);
    if (lastAck && lastAck !== due) {
      a.recent++;
      if (got[qid] === lastAck.letters) a.recentKept++;
    }
    if (
      lastAck &&
      got[qid] !== lastAck.letters &&
      !list.some((e) => e.sentAt > lastAck.sentAt && e.letters === got[qid])
    )
      a.oldestLostMs = Math.max(a.oldestLostMs, faultAt - lastAck.ackAt!);
    if (!due) continue;
    a.due++;
    if (got[qid] === due.letters || later.some((e) => e.letters === got[qid])) a.intact++;
    else a.lost.push({ qid, want: due.letters, got: got[qid], ageMs: faultAt - due.ackAt! });
  }
  return a;
}

const lettersOf = (view: any): Record<string, string> =>
  Object.fromEntries(Object.entries(view.answers as Record<string, string[]>).map(([q, l]) => [q, l.join('')]));

/** Answers of a try from the admin record (Postgres), as this candidate's letters. */
async function recordedLetters(attemptId: string) {
  const r = await ok(admin('GET', `/v1/admin/attempts/${attemptId}`), 'record');
  const out: Record<string, string> = {};
  for (const s of r.paper.sections)
    for (const q of s.questions)
      if (q.answer.length)
        out[q.id] = (q.answer as string[])
          .map((k) => LETTERS[(q.optionOrder as string[]).indexOf(k)])
          .sort()
          .join('');
  return { record: r, letters: out };
}

function sum(audits: Audit[]) {
  const t = { acked: 0, due: 0, intact: 0, recent: 0, recentKept: 0, lost: 0, oldestLostMs: 0 };
  for (const a of audits) {
    t.acked += a.acked;
    t.due += a.due;
    t.intact += a.intact;
    t.recent += a.recent;
    t.recentKept += a.recentKept;
    t.lost += a.lost.length;
    t.oldestLostMs = Math.max(t.oldestLostMs, a.oldestLostMs);
  }
  return t;
}

function report(name: string, figures: Record<string, unknown>) {
  console.log(`[chaos] ${name}\n${JSON.stringify(figures, null, 2)}`);
}

/** After a fault: log in again, read tries used and the running try, view it (restored from Postgres). */
async function afterFault(
  group: Sitter[],
  before: Map<Sitter, { used: number; active: string | null }>,
  lostAt: number,
) {
  const audits: Audit[] = [];
  const tries = { before: 0, after: 0 };
  for (const s of group) {
    await s.login();
    const me = await s.me();
    tries.before += before.get(s)!.used;
    tries.after += me.attempts.used;
    expect(me.attempts.used, 'tries used never go down').toBe(before.get(s)!.used);
    expect(me.activeAttemptId, 'the running try is still the active one').toBe(before.get(s)!.active);
    const view = await s.view();
    expect(view.status).toBe('in_progress');
    audits.push(audit(s, lettersOf(view), lostAt - CHECKPOINT_MS, lostAt));
  }
  return { audits, tries };
}

async function snapshotTries(group: Sitter[]) {
  const out = new Map<Sitter, { used: number; active: string | null }>();
  for (const s of group) {
    const me = await s.me();
    out.set(s, { used: me.attempts.used, active: me.activeAttemptId });
  }
  return out;
}

/** A save that must work again after the fault, shown in the next view. */
async function saveWorks(s: Sitter) {
  const view = await s.view();
  const q = view.section.questions[0];
  const r = await s.as('PUT', `/v1/attempts/${s.attemptId}/answers`, { answers: { [q.id]: ['B'] } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expect((await s.view()).answers[q.id]).toEqual(['B']);
}

// ---------------------------------------------------------------- set-up

const section = (id: string, bank: string, durationSec: number) => ({
  id,
  title: id === 'law' ? '法律法规' : '专业知识',
  bank,
  durationSec,
  items: 10,
  points: 10,
  passMark: 6,
});
const policy = (id: string, durations: number[]) => ({
  id,
  title: id,
  exams: [
    {
      id: 'business',
      maxAttempts: 3,
      sections: [section('law', 'law', durations[0]!), section('specialty', '@specialty', durations[1]!)].slice(
        0,
        durations.length,
      ),
    },
  ],
});

beforeAll(async () => {
  dbName = `dk_t_${inject('runId')}_c${randomBytes(2).toString('hex')}`;
  const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await a.unsafe(`create database "${dbName}"`);
  await a.end();
  dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const pg = new URL(ADMIN_URL);
  proxy = new PgProxy({ host: pg.hostname, port: Number(pg.port || 5432) });
  await proxy.listen();
  redisPort = await freePort();
  redis = await startRedis(redisPort);
  await Promise.all([startApi(), startWorker()]);

  expect((await admin('PUT', '/v1/admin/banks/law', makeBank('law', 40))).status).toBe(201);
  expect((await admin('PUT', '/v1/admin/banks/internal-medicine', makeBank('internal-medicine', 40))).status).toBe(201);
  // Long sections for the Redis faults, short ones for tries that finish while Postgres is away,
  // and one of a few seconds for a try its client abandons.
  for (const [cycleId, durations] of [
    ['long', [300, 300]],
    ['quick', [8, 8]],
    ['brief', [3]],
  ] as const)
    await ok(
      admin('PUT', `/v1/admin/cycles/${cycleId}`, {
        title: cycleId,
        ...openWindow(),
        policy: policy(cycleId, [...durations]),
      }),
      'cycle',
    );
}, 120_000);

afterAll(async () => {
  await Promise.all(sitters.map((s) => s.stop()));
  await stopAll();
  await proxy?.close();
  const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await a.unsafe(`drop database if exists "${dbName}" with (force)`);
  await a.end();
}, 60_000);

// ---------------------------------------------------------------- scenarios

describe('chaos', () => {
  it('kill -9 of the API mid-sitting, then Redis lost: nothing acknowledged is lost, no try forgotten', async () => {
    const group = await Sitter.register('long', 3);
    for (const s of group) await s.login();
    // Two of them have a finished try before the one that runs.
    await group[0]!.finishedTry();
    await group[1]!.finishedTry();
    for (const s of group) await s.start();
    const before = await snapshotTries(group);
    for (const s of group) s.drive();
    await sleep(2000);

    const killedAt = Date.now();
    await crash(api!);
    await Promise.all(group.map((s) => s.stop()));
    // The dead API's last acknowledgements are older than CHECKPOINT_MS when Redis goes.
    await sleep(2 * CHECKPOINT_MS);
    const { lostAt, backAt } = await loseRedis();
    await startApi();
    const apiUpAt = Date.now();
    const first = await waitFor(
      async () =>
        (
          await call('POST', '/v1/auth/login', {
            body: { idNumber: group[0]!.reg.idNumber, password: group[0]!.reg.password },
          })
        ).status === 200,
      30_000,
      'a login after the new API started',
    );
    const { audits, tries } = await afterFault(group, before, lostAt);
    const t = sum(audits);
    report('1 API killed, then Redis lost', {
      answersAcknowledged: t.acked,
      questionsDue: t.due,
      questionsIntact: t.intact,
      lost: t.lost,
      acknowledgedWithinCheckpointMs: t.recent,
      ofThoseKept: t.recentKept,
      oldestLostAnswerAgeMs: t.oldestLostMs,
      triesBefore: tries.before,
      triesAfter: tries.after,
      apiKilledToRedisLostMs: lostAt - killedAt,
      newApiBootMs: apiUpAt - backAt,
      newApiUpToFirstLoginMs: first.at - apiUpAt,
    });
    expect(audits.flatMap((x) => x.lost)).toEqual([]);
    expect(t.due).toBeGreaterThan(20);
    await saveWorks(group[0]!);
  }, 90_000);

  it('kill -9 of the worker mid-sitting, a new worker, then Redis lost: same promise', async () => {
    const group = await Sitter.register('long', 3);
    for (const s of group) await s.login();
    await group[0]!.finishedTry();
    for (const s of group) await s.start();
    const before = await snapshotTries(group);
    for (const s of group) s.drive();
    await sleep(1500);
    const killedAt = Date.now();
    await crash(worker!);
    // Answers go on being acknowledged (and marked) with no worker at all, then a new one starts.
    await sleep(1000);
    await startWorker();
    const workerUpAt = Date.now();
    await sleep(3 * CHECKPOINT_MS);
    // Redis goes while answers are being acknowledged.
    const stopping = Promise.all(group.map((s) => s.stop()));
    const { lostAt, backAt } = await loseRedis();
    await stopping;
    const first = await waitFor(
      async () => (await group[0]!.as('GET', `/v1/attempts/${group[0]!.attemptId}`, undefined, 3000)).status === 200,
      30_000,
      'a view after Redis came back',
    );
    const { audits, tries } = await afterFault(group, before, lostAt);
    const t = sum(audits);
    report('2 worker killed, new worker, then Redis lost', {
      answersAcknowledged: t.acked,
      questionsDue: t.due,
      questionsIntact: t.intact,
      lost: t.lost,
      acknowledgedWithinCheckpointMs: t.recent,
      ofThoseKept: t.recentKept,
      oldestLostAnswerAgeMs: t.oldestLostMs,
      triesBefore: tries.before,
      triesAfter: tries.after,
      workerDownMs: workerUpAt - killedAt,
      newWorkerToRedisLostMs: lostAt - workerUpAt,
      redisBackToFirstViewMs: first.at - backAt,
    });
    expect(audits.flatMap((x) => x.lost)).toEqual([]);
    expect(t.due).toBeGreaterThan(20);
    await saveWorks(group[1]!);
  }, 120_000);

  it('Redis restarted empty under a running API: requests fail during the outage, then everything works again', async () => {
    const group = await Sitter.register('long', 3);
    for (const s of group) await s.login();
    for (const s of group) await s.start();
    // A try whose client goes away: its deadline job is lost with Redis, the sweeper must close it.
    const [gone] = await Sitter.register('brief', 1);
    await gone!.login();
    await gone!.start();
    const q = gone!.section!.questions[0]!;
    expect(
      (await gone!.as('PUT', `/v1/attempts/${gone!.attemptId}/answers`, { answers: { [q.id]: ['A'] } })).status,
    ).toBe(200);
    const before = await snapshotTries(group);
    for (const s of group) s.drive();
    await sleep(2000);

    const stopping = Promise.all(group.map((s) => s.stop()));
    const lostAt = Date.now();
    await crash(redis!);
    await stopping;
    // During the outage: what do a save, a view, /v1/me and a login get?
    const during: Record<string, Record<string, number>> = {};
    const s0 = group[0]!;
    const probe = async (what: string, r: Promise<Reply>) => {
      const { status } = await r;
      during[what] ??= {};
      during[what][String(status)] = (during[what][String(status)] ?? 0) + 1;
    };
    // One request that waits as long as it takes: what a patient client gets, and when.
    const patient = s0.as('GET', '/v1/me', undefined, 30_000).then((r) => ({ status: r.status, at: Date.now() }));
    const probeUntil = Date.now() + 3000;
    while (Date.now() < probeUntil) {
      await Promise.all([
        probe(
          'save',
          (async () => {
            // Recorded like any save: a request whose reply never came may still land later.
            const entry: Sent = {
              qid: s0.section!.questions[1]!.id,
              letters: 'A',
              sentAt: Date.now(),
              status: 'error',
            };
            s0.sent.push(entry);
            const r = await s0.as(
              'PUT',
              `/v1/attempts/${s0.attemptId}/answers`,
              { answers: { [entry.qid]: ['A'] } },
              1500,
            );
            entry.status = r.status;
            if (r.status === 200) entry.ackAt = Date.now();
            return r;
          })(),
        ),
        probe('view', s0.as('GET', `/v1/attempts/${s0.attemptId}`, undefined, 1500)),
        probe('me', s0.as('GET', '/v1/me', undefined, 1500)),
        probe(
          'login',
          call('POST', '/v1/auth/login', {
            body: { idNumber: s0.reg.idNumber, password: s0.reg.password },
            timeoutMs: 1500,
          }),
        ),
      ]);
    }
    expect(Object.keys(during).sort()).toEqual(['login', 'me', 'save', 'view']);
    for (const [what, got] of Object.entries(during))
      for (const status of Object.keys(got)) expect(status, `${what} during the outage`).not.toBe('200');
    redis = await startRedis(redisPort);
    const backAt = Date.now();
    // The first request after the outage for another candidate is a save, as a client's queue of
    // answers sends it: the try must come back from Postgres for it, not be reported as not found.
    const s1 = group[1]!;
    const q1 = s1.section!.questions[2]!;
    const first = await waitFor(
      async () => {
        const entry: Sent = { qid: q1.id, letters: 'C', sentAt: Date.now(), status: 'error' };
        const r = await s1.as('PUT', `/v1/attempts/${s1.attemptId}/answers`, { answers: { [q1.id]: ['C'] } }, 3000);
        entry.status = r.status;
        if (r.status === 200) entry.ackAt = Date.now();
        s1.sent.push(entry);
        return typeof r.status === 'number' && r.status < 500 ? r : null;
      },
      30_000,
      'an answer to the first save after Redis came back',
    );
    expect(first.value.status, JSON.stringify(first.value.body)).toBe(200);
    const waited = await patient;
    const { audits, tries } = await afterFault(group, before, lostAt);
    for (const s of group) await saveWorks(s);
    // The abandoned try is closed and recorded with no client and no deadline job.
    const closed = await waitFor(
      async () => {
        const r = await admin('GET', `/v1/admin/attempts/${gone!.attemptId}`);
        return r.status === 200 && r.body.status === 'finished' ? r.body : null;
      },
      30_000,
      'the abandoned try recorded as finished',
    );
    expect((await recordedLetters(gone!.attemptId)).letters[q.id]).toBe('A');
    const t = sum(audits);
    report('3 Redis restarted empty under a running API', {
      outageMs: backAt - lostAt,
      requestsDuringOutage: during,
      patientRequestDuringOutage: { status: waited.status, answeredMsAfterRedisBack: waited.at - backAt },
      answersAcknowledged: t.acked,
      questionsDue: t.due,
      questionsIntact: t.intact,
      lost: t.lost,
      acknowledgedWithinCheckpointMs: t.recent,
      ofThoseKept: t.recentKept,
      oldestLostAnswerAgeMs: t.oldestLostMs,
      triesBefore: tries.before,
      triesAfter: tries.after,
      redisBackToFirstSaveMs: first.at - backAt,
      redisBackToAbandonedTryRecordedMs: closed.at - backAt,
    });
    expect(audits.flatMap((x) => x.lost)).toEqual([]);
    expect(t.due).toBeGreaterThan(20);
  }, 120_000);

  it('Postgres unreachable for 30 s while tries finish: every record is written after, no answer lost', async () => {
    const group = await Sitter.register('quick', 4);
    for (const s of group) await s.login();
    for (const s of group) await s.start();
    // Two submit both sections during the outage; two let the clock end them.
    group[0]!.drive({ submitAt: [4000, 7000] });
    group[1]!.drive({ submitAt: [5000, 9000] });
    group[2]!.drive();
    group[3]!.drive();
    await sleep(2000);
    proxy!.sever();
    const cutAt = Date.now();
    await Promise.all(group.map((s) => s.done()));
    const finishedAt = Date.now();
    expect(group.every((s) => s.finished)).toBe(true);
    const during = { saves: 0, acked: 0 };
    for (const s of group)
      for (const e of s.sent)
        if (e.sentAt >= cutAt) {
          during.saves++;
          if (e.ackAt) during.acked++;
        }
    // A login needs Postgres: it must fail, with a problem, not hang forever.
    const loginDuring = await call('POST', '/v1/auth/login', {
      body: { idNumber: group[0]!.reg.idNumber, password: group[0]!.reg.password },
      timeoutMs: 5000,
    });
    expect(loginDuring.status).not.toBe(200);
    await sleep(Math.max(0, cutAt + 30_000 - Date.now()));
    proxy!.restore();
    const restoredAt = Date.now();

    const first = await waitFor(
      async () =>
        (
          await call('POST', '/v1/auth/login', {
            body: { idNumber: group[0]!.reg.idNumber, password: group[0]!.reg.password },
            timeoutMs: 3000,
          })
        ).status === 200,
      30_000,
      'a login after Postgres came back',
    );
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    let recorded: { at: number };
    try {
      recorded = await waitFor(
        async () => {
          const rows = await sql`select status from attempts where attempt_id in ${sql(group.map((s) => s.attemptId))}`;
          return rows.length === group.length && rows.every((r) => r.status === 'finished');
        },
        90_000,
        'every finished try recorded in Postgres',
      );
    } finally {
      await sql.end();
    }
    const audits: Audit[] = [];
    const endedBy: string[] = [];
    for (const s of group) {
      const { record, letters } = await recordedLetters(s.attemptId);
      endedBy.push(record.timeline.map((x: any) => x.endedBy).join('/'));
      audits.push(audit(s, letters, Infinity, Infinity));
    }
    const t = sum(audits);
    report('4 Postgres unreachable for 30 s', {
      outageMs: restoredAt - cutAt,
      triesFinishedWithinMsOfCut: finishedAt - cutAt,
      sectionsEndedBy: endedBy,
      savesDuringOutage: during,
      loginDuringOutage: loginDuring.status,
      answersAcknowledged: t.acked,
      questionsDue: t.due,
      questionsIntact: t.intact,
      lost: t.lost,
      restoredToFirstLoginMs: first.at - restoredAt,
      restoredToAllRecordsMs: recorded.at - restoredAt,
    });
    expect(audits.flatMap((x) => x.lost)).toEqual([]);
    expect(endedBy).toEqual(expect.arrayContaining(['submit/submit', 'time/time']));
  }, 150_000);
});
