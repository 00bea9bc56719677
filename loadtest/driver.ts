// The peak-window scenario as a Node load driver (k6 cannot be installed on these machines): tens of
// thousands of virtual candidates in one process, over keep-alive connections (one undici Pool per
// API process, a bounded number of connections each), open-model arrivals (a candidate arrives at
// its time on the curve whatever the server's response times), think time between answers.
//
//   npx tsx loadtest/driver.ts --targets http://127.0.0.1:3000 --candidates loadtest/candidates.jsonl \
//       --window 60 --think 30000-90000 --connections 256 --out loadtest/summary.json --acks loadtest/acks.jsonl
//
// Each virtual candidate: logs in (in a lobby phase before the window opens, as doctors do before
// 08:00, unless the file already holds tokens), starts a try at its arrival time, fetches it, answers
// every question (one PUT per answer, think time before each; a few go back and change an earlier
// answer), submits both sections, reads the result. Several targets stand in for a load balancer:
// candidate i talks to target i mod n.
//
// Measured per endpoint tag (login, start, fetch, save, submit, result): an HDR histogram of
// latency (perf_hooks), counts, errors by status and code. Every answer the server acknowledged is
// kept (the last acknowledged choice per question) and written to --acks for the audit.
import { readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { createHistogram, monitorEventLoopDelay, performance, type RecordableHistogram } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { arrivalOffsets, parseRange, RIGHT } from './scenario.js';

export interface DriverCandidate {
  idNumber: string;
  password: string;
  token?: string;
}

export interface DriverOptions {
  targets: string[];
  candidates: DriverCandidate[];
  /** Seconds over which all candidates press "start" (k6: the ramping-arrival-rate stages). */
  windowSec: number;
  /** Think time before each answer, ms. */
  thinkMs: [number, number];
  /** Total connections, split over the targets. */
  connections: number;
  loginConcurrency: number;
  /** Share of answers that are right (the rest pick a wrong option). */
  correct: number;
  /** Chance, after an answer, of going back and changing an earlier one. */
  revisit: number;
  /** Share of candidates whose "start" is a double click: two POSTs at once, one must win. */
  doubleStart: number;
  /** Questions answered per section before submitting it (default: all of them). */
  questionsPerSection?: number;
  timeoutMs: number;
  /** Where the acknowledged answers go (JSON lines), for the audit. */
  acksFile?: string;
  progress?: (p: Progress) => void;
  log?: (s: string) => void;
}

export interface Progress {
  phase: 'lobby' | 'window' | 'done';
  elapsedMs: number;
  loggedIn: number;
  arrived: number;
  active: number;
  finished: number;
  aborted: number;
  requests: number;
  errors: number;
}

export interface EndpointStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export interface DriverSummary {
  targets: string[];
  candidates: number;
  windowSec: number;
  thinkMs: [number, number];
  connections: number;
  loggedIn: number;
  started: number;
  finished: number;
  aborted: number;
  requests: number;
  errors: number;
  errorsByCode: Record<string, number>;
  /** 409 attempt_in_progress answered to the losing half of a double click (expected, not errors). */
  duplicateStartsRejected: number;
  /** Double clicks both of whose POSTs got 201 (must be 0). */
  duplicateStartsAccepted: number;
  answersAcknowledged: number;
  activePeak: number;
  lobbyMs: number;
  windowMs: number;
  loginsPerSec: number;
  /** Latency in ms per endpoint tag. */
  endpoints: Record<string, EndpointStats>;
  /** Requests per second over the window phase, one number a second. */
  rpsTimeline: number[];
  peakRps: number;
  driver: {
    cpuUserMs: number;
    cpuSystemMs: number;
    eventLoopDelayP99Ms: number;
    eventLoopDelayMaxMs: number;
    rssMaxMb: number;
  };
}

type Tag = 'login' | 'start' | 'fetch' | 'save' | 'submit' | 'result';
const TAGS: Tag[] = ['login', 'start', 'fetch', 'save', 'submit', 'result'];

interface ViewQuestion {
  id: string;
  options: { key: string; text: string }[];
}
interface AttemptView {
  id: string;
  status: string;
  section: { id: string; questions: ViewQuestion[] } | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(`${status} ${code}`);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runDriver(o: DriverOptions): Promise<DriverSummary> {
  const log = o.log ?? (() => {});
  const perTarget = Math.max(1, Math.floor(o.connections / o.targets.length));
  const pools = o.targets.map(
    (t) =>
      new Pool(t, {
        connections: perTarget,
        pipelining: 1,
        keepAliveTimeout: 60_000,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
      }),
  );
  const hist = new Map<Tag, RecordableHistogram>(TAGS.map((t) => [t, createHistogram()]));
  const counts = new Map<Tag, { count: number; errors: number; sum: number }>(
    TAGS.map((t) => [t, { count: 0, errors: 0, sum: 0 }]),
  );
  const errorsByCode: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let secondBucket = 0;
  const rpsTimeline: number[] = [];
  let duplicateStartsRejected = 0;
  let duplicateStartsAccepted = 0;
  let answersAcknowledged = 0;
  let loggedIn = 0;
  let arrived = 0;
  let active = 0;
  let activePeak = 0;
  let finished = 0;
  let aborted = 0;
  let started = 0;
  const acks = o.acksFile ? createWriteStream(o.acksFile) : null;

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpu0 = process.cpuUsage();
  let rssMax = 0;

  const countError = (tag: Tag, key: string) => {
    errors++;
    counts.get(tag)!.errors++;
    const k = `${tag} ${key}`;
    errorsByCode[k] = (errorsByCode[k] ?? 0) + 1;
  };

  /** One request; resolves with the parsed body of a 2xx, throws HttpError otherwise. */
  async function call<T = any>(
    i: number,
    tag: Tag,
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
    expected?: (status: number, code: string) => boolean,
  ): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const t0 = performance.now();
    requests++;
    secondBucket++;
    let status = 0;
    let text = '';
    try {
      const res = await pools[i % pools.length]!.request({
        method: method as 'GET',
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (e) {
      const ms = performance.now() - t0;
      const c = counts.get(tag)!;
      c.count++;
      c.sum += ms;
      hist.get(tag)!.record(Math.max(1, Math.round(ms * 1000)));
      const code = (e as { code?: string }).code ?? (e as Error).name;
      countError(tag, code);
      throw new HttpError(0, code);
    }
    const ms = performance.now() - t0;
    const c = counts.get(tag)!;
    c.count++;
    c.sum += ms;
    hist.get(tag)!.record(Math.max(1, Math.round(ms * 1000)));
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (status >= 200 && status < 300) return { status, body: parsed as T };
    const code = typeof parsed?.code === 'string' ? parsed.code : 'no_code';
    if (expected?.(status, code)) return { status, body: parsed as T };
    countError(tag, `${status} ${code}`);
    throw new HttpError(status, code);
  }

  /** Retries what a real client retries (network errors, 5xx, 429); anything else ends the sitting. */
  async function withRetry<T>(fn: () => Promise<T>, tries = 3): Promise<T> {
    for (let k = 1; ; k++) {
      try {
        return await fn();
      } catch (e) {
        const retriable = e instanceof HttpError && (e.status === 0 || e.status >= 500 || e.status === 429);
        if (!retriable || k >= tries) throw e;
        await sleep(500 * k);
      }
    }
  }

  const [thinkLo, thinkHi] = o.thinkMs;
  const think = (scale = 1) => sleep((thinkLo + Math.random() * (thinkHi - thinkLo)) * scale);
  interface Compact {
    id: string;
    right: string[];
    wrong: string[];
  }
  const compact = (q: ViewQuestion): Compact => ({
    id: q.id,
    right: q.options.filter((x) => x.text.startsWith(RIGHT)).map((x) => x.key),
    wrong: q.options.filter((x) => !x.text.startsWith(RIGHT)).map((x) => x.key),
  });
  const rightOf = (q: Compact) => q.right;
  const wrongOf = (q: Compact, not?: string) => {
    const pool = q.wrong.filter((k) => k !== not);
    return [pool[Math.floor(Math.random() * pool.length)]!];
  };

  // ------------------------------------------------------------------ lobby: log in before 08:00
  const tLobby = performance.now();
  const tokens: string[] = o.candidates.map((c) => c.token ?? '');
  const lobbyTimer = setInterval(
    () =>
      o.progress?.({
        phase: 'lobby',
        elapsedMs: performance.now() - tLobby,
        loggedIn,
        arrived,
        active,
        finished,
        aborted,
        requests,
        errors,
      }),
    1000,
  );
  {
    let next = 0;
    const todo = tokens.map((t, i) => (t ? -1 : i)).filter((i) => i >= 0);
    loggedIn = o.candidates.length - todo.length;
    await Promise.all(
      Array.from({ length: Math.min(o.loginConcurrency, todo.length) }, async () => {
        for (let k = next++; k < todo.length; k = next++) {
          const i = todo[k]!;
          const c = o.candidates[i]!;
          try {
            const r = await withRetry(() =>
              call<{ token: string }>(i, 'login', 'POST', '/v1/auth/login', null, {
                idNumber: c.idNumber,
                password: c.password,
              }),
            );
            tokens[i] = r.body.token;
            loggedIn++;
          } catch {
            /* counted */
          }
        }
      }),
    );
  }
  clearInterval(lobbyTimer);
  const lobbyMs = performance.now() - tLobby;
  const loginCount = counts.get('login')!.count;
  log(`lobby: ${loggedIn}/${o.candidates.length} logged in in ${(lobbyMs / 1000).toFixed(1)} s`);
  // Login latency belongs to the lobby; the window's per-second rates start from zero.
  secondBucket = 0;

  // ------------------------------------------------------------------ the window
  async function sitting(i: number) {
    const token = tokens[i]!;
    arrived++;
    if (!token) {
      aborted++;
      return;
    }
    let view: AttemptView;
    let attemptOf = '';
    let counted = false;
    const answered = new Map<string, string>();
    try {
      const start = () =>
        call<AttemptView>(
          i,
          'start',
          'POST',
          '/v1/attempts',
          token,
          {},
          (s, code) => s === 409 && code === 'attempt_in_progress',
        );
      if (Math.random() < o.doubleStart) {
        const both = await Promise.allSettled([start(), start()]);
        const won = both.filter(
          (r): r is PromiseFulfilledResult<{ status: number; body: AttemptView }> =>
            r.status === 'fulfilled' && r.value.status === 201,
        );
        const lost = both.filter((r) => r.status === 'fulfilled' && r.value.status === 409).length;
        duplicateStartsRejected += lost;
        if (won.length > 1) duplicateStartsAccepted++;
        if (!won.length)
          throw both.find((r) => r.status === 'rejected')?.reason ?? new HttpError(409, 'attempt_in_progress');
        view = won[0]!.value.body;
      } else {
        const r = await start();
        if (r.status !== 201) {
          countError('start', `${r.status} attempt_in_progress`);
          throw new HttpError(r.status, 'attempt_in_progress');
        }
        view = r.body;
      }
      started++;
      active++;
      counted = true;
      if (active > activePeak) activePeak = active;
      const attemptId = view.id;
      attemptOf = attemptId;
      // A page load right after starting.
      view = (await withRetry(() => call<AttemptView>(i, 'fetch', 'GET', `/v1/attempts/${attemptId}`, token))).body;

      while (view.status === 'in_progress' && view.section) {
        const section = view.section;
        // Keep what answering needs, not the texts: 20,000 candidates hold their section at once.
        const qs = section.questions.map(compact);
        view = { ...view, section: null };
        for (let j = 0; j < Math.min(qs.length, o.questionsPerSection ?? Infinity); j++) {
          await think();
          const q = qs[j]!;
          const letters = Math.random() < o.correct ? rightOf(q) : wrongOf(q);
          await save(q.id, letters);
          if (j > 0 && Math.random() < o.revisit) {
            // Goes back and changes an earlier answer.
            await think(0.25);
            const back = qs[Math.floor(Math.random() * j)]!;
            await save(back.id, wrongOf(back, answered.get(back.id)));
          }
        }
        await think(0.25);
        view = (
          await withRetry(() =>
            call<AttemptView>(i, 'submit', 'POST', `/v1/attempts/${attemptId}/sections/${section.id}/submit`, token),
          )
        ).body;
      }
      active--;
      counted = false;
      // The result: ready at once after the last submit; polled a few times if not.
      for (let k = 0; ; k++) {
        const r = await withRetry(() =>
          call(
            i,
            'result',
            'GET',
            `/v1/attempts/${attemptId}/result`,
            token,
            undefined,
            (s, code) => s === 409 && code === 'attempt_not_finished' && k < 10,
          ),
        );
        if (r.status === 200) break;
        await sleep(500);
      }
      finished++;

      async function save(qid: string, letters: string[]) {
        await withRetry(() =>
          call(i, 'save', 'PUT', `/v1/attempts/${attemptId}/answers`, token, { answers: { [qid]: letters } }),
        );
        answered.set(qid, letters.join(''));
        answersAcknowledged++;
      }
    } catch {
      aborted++;
      if (counted) active--;
    } finally {
      if (acks && answered.size)
        acks.write(
          JSON.stringify({
            attemptId: attemptOf,
            idNumber: o.candidates[i]!.idNumber,
            answers: Object.fromEntries(answered),
          }) + '\n',
        );
    }
  }

  const offsets = arrivalOffsets(o.candidates.length, o.windowSec);
  const tWindow = performance.now();
  o.progress?.({ phase: 'window', elapsedMs: 0, loggedIn, arrived, active, finished, aborted, requests, errors });
  const progressTimer = setInterval(() => {
    rpsTimeline.push(secondBucket);
    secondBucket = 0;
    rssMax = Math.max(rssMax, process.memoryUsage.rss());
    o.progress?.({
      phase: 'window',
      elapsedMs: performance.now() - tWindow,
      loggedIn,
      arrived,
      active,
      finished,
      aborted,
      requests,
      errors,
    });
  }, 1000);
  const sittings: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    // Arrivals are scheduled against the window's clock, not chained on responses (open model).
    let k = 0;
    const tick = () => {
      const now = performance.now() - tWindow;
      while (k < offsets.length && offsets[k]! <= now) sittings.push(sitting(k++));
      if (k >= offsets.length) return resolve();
      setTimeout(tick, Math.max(1, Math.min(50, offsets[k]! - now)));
    };
    tick();
  });
  await Promise.all(sittings);
  const windowMs = performance.now() - tWindow;
  clearInterval(progressTimer);
  if (secondBucket) rpsTimeline.push(secondBucket);
  loopDelay.disable();
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(pools.map((p) => p.close()));
  if (acks) await new Promise<void>((r) => acks.end(r));
  o.progress?.({ phase: 'done', elapsedMs: windowMs, loggedIn, arrived, active, finished, aborted, requests, errors });

  const endpoints: Record<string, EndpointStats> = {};
  for (const tag of TAGS) {
    const h = hist.get(tag)!;
    const c = counts.get(tag)!;
    if (!c.count) continue;
    const ms = (v: number) => Math.round(v / 10) / 100; // µs → ms, 2 decimals
    endpoints[tag] = {
      count: c.count,
      errors: c.errors,
      p50: ms(h.percentile(50)),
      p95: ms(h.percentile(95)),
      p99: ms(h.percentile(99)),
      max: ms(h.max),
      mean: Math.round((c.sum / c.count) * 100) / 100,
    };
  }
  return {
    targets: o.targets,
    candidates: o.candidates.length,
    windowSec: o.windowSec,
    thinkMs: o.thinkMs,
    connections: perTarget * o.targets.length,
    loggedIn,
    started,
    finished,
    aborted,
    requests,
    errors,
    errorsByCode,
    duplicateStartsRejected,
    duplicateStartsAccepted,
    answersAcknowledged,
    activePeak,
    lobbyMs: Math.round(lobbyMs),
    windowMs: Math.round(windowMs),
    loginsPerSec: lobbyMs > 0 && loginCount ? Math.round((loginCount / lobbyMs) * 1000 * 10) / 10 : 0,
    endpoints,
    rpsTimeline,
    peakRps: Math.max(0, ...rpsTimeline),
    driver: {
      cpuUserMs: Math.round(cpu.user / 1000),
      cpuSystemMs: Math.round(cpu.system / 1000),
      eventLoopDelayP99Ms: Math.round(loopDelay.percentile(99) / 1e4) / 100,
      eventLoopDelayMaxMs: Math.round(loopDelay.max / 1e4) / 100,
      rssMaxMb: Math.round(rssMax / 1048576),
    },
  };
}

/** A candidates file: JSON lines, or one JSON array, of { idNumber, password, token? }. */
export function readCandidates(file: string): DriverCandidate[] {
  const text = readFileSync(file, 'utf8').trim();
  const list = text.startsWith('[')
    ? (JSON.parse(text) as DriverCandidate[])
    : text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as DriverCandidate);
  return list;
}

async function main() {
  const { values } = parseArgs({
    options: {
      targets: { type: 'string', default: 'http://127.0.0.1:3000' },
      candidates: { type: 'string', default: 'loadtest/candidates.jsonl' },
      limit: { type: 'string' },
      window: { type: 'string', default: '60' },
      think: { type: 'string', default: '30000-90000' },
      connections: { type: 'string', default: '256' },
      'login-concurrency': { type: 'string', default: '16' },
      correct: { type: 'string', default: '0.8' },
      revisit: { type: 'string', default: '0.05' },
      'double-start': { type: 'string', default: '0.02' },
      questions: { type: 'string' },
      timeout: { type: 'string', default: '60000' },
      acks: { type: 'string' },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  let candidates = readCandidates(values.candidates);
  if (values.limit) candidates = candidates.slice(0, Number(values.limit));
  const ipc = typeof process.send === 'function';
  const log = (s: string) => process.stderr.write(`[driver] ${s}\n`);
  const summary = await runDriver({
    targets: values.targets.split(',').map((s) => s.trim().replace(/\/$/, '')),
    candidates,
    windowSec: Number(values.window),
    thinkMs: parseRange(values.think),
    connections: Number(values.connections),
    loginConcurrency: Number(values['login-concurrency']),
    correct: Number(values.correct),
    revisit: Number(values.revisit),
    doubleStart: Number(values['double-start']),
    questionsPerSection: values.questions ? Number(values.questions) : undefined,
    timeoutMs: Number(values.timeout),
    acksFile: values.acks,
    log,
    progress: (p) => {
      if (ipc) process.send!({ type: 'progress', ...p });
      else if (!values.quiet && p.phase === 'window' && Math.round(p.elapsedMs / 1000) % 5 === 0)
        log(
          `${Math.round(p.elapsedMs / 1000)}s arrived ${p.arrived} active ${p.active} finished ${p.finished} aborted ${p.aborted} requests ${p.requests} errors ${p.errors}`,
        );
    },
  });
  if (values.out) writeFileSync(values.out, JSON.stringify(summary, null, 2) + '\n');
  if (ipc) {
    process.send!({ type: 'summary', summary }, () => process.exit(0));
  } else {
    process.stdout.write(JSON.stringify({ ...summary, rpsTimeline: undefined }, null, 2) + '\n');
    process.exit(0);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href)
  main().catch((e) => {
    process.stderr.write(`driver failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
