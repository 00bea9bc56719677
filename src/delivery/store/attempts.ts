// The attempt store: the only code that knows how a try lives in Redis — its keys, hash fields, log
// entries, question metas and packed paper (codecs.ts) — and the only caller of the Lua scripts in
// ./lua. Each script has one typed method here: named arguments in, decoded replies out. Everything
// a script touches for one candidate shares the candidate's hash tag (keys.ts), so every method is
// one round trip that a Redis Cluster can serve.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { itemIdsByBank, type Paper, type StoredAnswers } from '../../papers/paper.js';
import { CHECKPOINT_BUCKETS, type Keys } from '../../redis/keys.js';
import { defineScripts, type RawReply } from '../../redis/scripts.js';
import type { AttemptScore } from '../../scoring/score.js';
import { Lru } from '../lru.js';
import {
  answersFromLog,
  decodeAttempt,
  decodeLogEntry,
  encodeAttempt,
  packPaper,
  pairs,
  questionMetas,
  unpackPaper,
  type AttemptFields,
  type AttemptState,
  type SectionClock,
} from './codecs.js';

/** Who is asking: from the bearer token, before Redis has confirmed the session. */
export interface CandidateAuth {
  candidateId: string;
  tokenHash: string;
}

export interface AttemptRef {
  candidateId: string;
  attemptId: string;
}

/** A candidate's request (the script checks the session) or the engine's own (deadlines, records). */
export type Caller = { auth: CandidateAuth } | { internal: string };

/** The codes scripts answer with; the service turns them into AppErrors. */
export type StoreErrorCode =
  | 'nosession'
  | 'nostate'
  | 'retry'
  | 'not_found'
  | 'question_not_in_section'
  | 'section_closed'
  | 'section_not_started'
  | 'invalid_choice'
  | 'attempt_not_finished'
  | 'already_passed'
  | 'attempt_in_progress'
  | 'attempt_cap_reached'
  | 'window_closed'
  | 'specialty_not_online'
  | 'rate_limited';

export interface StoreFailure {
  ok: false;
  code: StoreErrorCode;
  /** The question, or the running attempt, the failure is about. */
  subject?: string;
}

/** A try as one script read it. */
export interface Snapshot {
  ok: true;
  now: number;
  /** The clock moved the try (a section ended) during this read. */
  moved: boolean;
  attempt: AttemptState;
  answers: StoredAnswers;
  paper: Paper;
}

export interface StartArgs {
  examId: string;
  maxAttempts: number;
  /** Tries used when the paper was drawn: the start fails with `retry` if another start won meanwhile. */
  expectedUsed: number;
  opensAt: number;
  closesAt: number;
  online: boolean;
  attemptId: string;
  cycleId: string;
  paper: Paper;
}

/** What the hot path keeps of a registration. */
export interface HotProfile {
  cycle: string;
  specialty: string;
  level: string;
  procedure: string;
  name: string;
  idNumber: string;
}

/** What a candidate's starts need: try counts per exam, passes, the running try, items seen. */
export interface HotState {
  used: Record<string, number>;
  passed: string[];
  active: string | null;
  seen: Map<string, string[]>;
}

/** The record of a try as it started. */
export interface StartedRecord extends AttemptRef {
  cycleId: string;
  examId: string;
  number: number;
  seed: string;
  bankVersions: Record<string, number>;
  paper: Paper;
  startedAt: number;
}

/** The whole record of a settled try. */
export interface FinishedRecord extends StartedRecord {
  answers: StoredAnswers;
  sections: SectionClock[];
  /** The log as stored (codecs.ts LogEntry encodings), oldest first. */
  events: string[];
  score: AttemptScore;
  finishedAt: number;
}

/** What changed in a try since a log position: what a checkpoint writes to Postgres. */
export interface AttemptChanges extends AttemptRef {
  /** All the try's answers (a first record, or Redis and Postgres disagreed), or only those set since `from`. */
  whole: boolean;
  answers: StoredAnswers;
  /** Questions whose answer was cleared since `from`. */
  cleared: string[];
  /** The attempt hash (encoded, without the score) when it may have changed; null keeps the last one. */
  state: AttemptFields | null;
  /** Log positions: the changes take a record holding `from` entries to one holding `to`. */
  from: number;
  to: number;
  /** Redis time of the read, so that an older whole checkpoint never overwrites a newer one. */
  at: number;
  /** A try Postgres has no row of yet gets its first record with its first checkpoint. */
  started: StartedRecord | null;
}

/**
 * Each try's budget of answer changes: a bucket of 300 tokens refilled at one a second; a save costs
 * one token per answer it changes (at least one). A doctor answering 100 questions, changing many
 * twice and resending everything after a reconnect stays far inside it; a client looping on saves
 * gets 429 and its try's history grows by at most 300 + 3,600 entries an hour.
 */
export const SAVE_BUDGET = { capacity: 300, msPerToken: 1000 };

const SCRIPTS = {
  prepare: { file: 'prepare', keys: 3 },
  start: { file: 'start', keys: 6 },
  view: { file: 'view', keys: 5 },
  save: { file: 'save', keys: 5 },
  submit: { file: 'submit', keys: 5 },
  settle: { file: 'settle', keys: 6 },
  hydrate: { file: 'hydrate', keys: 2 },
  restore: { file: 'restore', keys: 5 },
  release: { file: 'release', keys: 1 },
  checkpoint: { file: 'checkpoint', keys: 3 },
  claim: { file: 'claim', keys: 2 },
} as const;
type ScriptName = keyof typeof SCRIPTS;

const LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');

/** The Redis keys of one try (all under the candidate's hash tag). */
export function attemptKeys(keys: Keys, { candidateId: c, attemptId: a }: AttemptRef) {
  return {
    attempt: keys.attempt(c, a),
    questions: keys.questions(c, a),
    answers: keys.answers(c, a),
    paper: keys.paper(c, a),
    log: keys.log(c, a),
  };
}

export class AttemptStore {
  private readonly run: (name: ScriptName, keys: string[], args: (string | number)[]) => Promise<RawReply>;
  /** Decoded papers of tries this process serves: a view then needs no paper from Redis. */
  private readonly papers = new Lru<string, Paper>(50_000);

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    this.run = defineScripts(redis, LUA_DIR, 'dk', SCRIPTS, 'lib');
  }

  // ---------------------------------------------------------------- candidate state

  async prepare(
    auth: CandidateAuth,
  ): Promise<{ ok: true; now: number; profile: Record<string, string>; state: Record<string, string> } | StoreFailure> {
    const k = this.keys;
    const c = auth.candidateId;
    const reply = await this.run('prepare', [k.session(c, auth.tokenHash), k.profile(c), k.state(c)], ['0']);
    if (reply[0] !== 'ok') return failure(reply);
    const [, now, profile, state] = reply as [string, number, string[], string[]];
    return { ok: true, now: Number(now), profile: pairs(profile), state: pairs(state) };
  }

  /** Writes a candidate's profile, and their state where Redis has none (a start may be under way). */
  async hydrate(candidateId: string, profile: HotProfile, state?: HotState): Promise<void> {
    const s: string[] = [];
    if (state) {
      for (const [exam, used] of Object.entries(state.used)) s.push(`used:${exam}`, String(used));
      for (const exam of state.passed) s.push(`passed:${exam}`, '1');
      if (state.active) s.push('active', state.active);
      for (const [bank, ids] of state.seen) s.push(`seen:${bank}`, ids.join(' '));
    }
    const packed = JSON.stringify({ profile: Object.entries(profile).flat(), state: s });
    await this.run('hydrate', [this.keys.profile(candidateId), this.keys.state(candidateId)], [packed]);
  }

  async hasHotState(candidateId: string): Promise<boolean> {
    const k = this.keys;
    const [loaded, profile] = await Promise.all([
      this.redis.hexists(k.state(candidateId), 'loaded'),
      this.redis.exists(k.profile(candidateId)),
    ]);
    return loaded === 1 && profile === 1;
  }

  /** Drops cached profiles, so that the next request reloads them (a registration changed). */
  async forgetProfiles(candidateIds: string[]): Promise<void> {
    // One DEL per key: each candidate's key is in its own slot.
    await Promise.all(candidateIds.map((id) => this.redis.del(this.keys.profile(id))));
  }

  // ---------------------------------------------------------------- a try

  async start(auth: CandidateAuth, a: StartArgs): Promise<{ ok: true; now: number; number: number } | StoreFailure> {
    const ref = { candidateId: auth.candidateId, attemptId: a.attemptId };
    const k = this.keys;
    const t = attemptKeys(k, ref);
    const packed = JSON.stringify({
      exam: a.examId,
      maxAttempts: a.maxAttempts,
      expectedUsed: a.expectedUsed,
      opensAt: a.opensAt,
      closesAt: a.closesAt,
      online: a.online,
      attemptId: a.attemptId,
      cycleId: a.cycleId,
      paper: packPaper(a.paper),
      sections: a.paper.sections.map((s) => [s.id, s.durationMs]),
      seen: [...itemIdsByBank(a.paper)].map(([bank, ids]) => [bank, ids.join(' ')]),
      metas: questionMetas(a.paper).flat(),
    });
    const [reply] = await Promise.all([
      this.run(
        'start',
        [
          k.session(auth.candidateId, auth.tokenHash),
          k.state(auth.candidateId),
          t.attempt,
          t.questions,
          t.paper,
          t.log,
        ],
        ['0', packed],
      ),
      this.markForCheckpoint(ref),
    ]);
    if (reply[0] !== 'ok') return failure(reply);
    this.papers.set(a.attemptId, a.paper);
    return { ok: true, now: Number(reply[1]), number: Number(reply[2]) };
  }

  /** Reads a try, moving it on by the clock first. */
  view(who: Caller, ref: AttemptRef): Promise<Snapshot | StoreFailure> {
    return this.snapshot('view', who, ref, []);
  }

  /** Ends the named section if it is the running one; idempotent for one that has ended. */
  async submit(who: Caller, ref: AttemptRef, sectionId: string): Promise<Snapshot | StoreFailure> {
    const [snap] = await Promise.all([this.snapshot('submit', who, ref, [sectionId]), this.markForCheckpoint(ref)]);
    return snap;
  }

  /**
   * Saves answers, given as question id → chosen display letters ("" clears). The request is applied
   * whole or not at all.
   */
  async save(
    auth: CandidateAuth,
    ref: AttemptRef,
    answers: [string, string][],
    graceMs: number,
  ): Promise<{ ok: true; now: number; moved: boolean; saved: number } | StoreFailure> {
    const t = attemptKeys(this.keys, ref);
    const args: (string | number)[] = ['0', graceMs, SAVE_BUDGET.capacity, SAVE_BUDGET.msPerToken];
    for (const [qid, letters] of answers) args.push(qid, letters);
    const [reply] = await Promise.all([
      this.run(
        'save',
        [this.keys.session(ref.candidateId, auth.tokenHash), t.attempt, t.questions, t.answers, t.log],
        args,
      ),
      this.markForCheckpoint(ref),
    ]);
    if (reply[0] !== 'ok') return failure(reply);
    return { ok: true, now: Number(reply[1]), moved: reply[2] === 1, saved: Number(reply[3]) };
  }

  /**
   * Records the score of a closed try and frees the candidate for another. `grace` while a timed-out
   * try may still receive answers sent before its deadline.
   */
  async settle(
    ref: AttemptRef,
    a: { examId: string; score: AttemptScore; graceMs: number; keepSec: number },
  ): Promise<{ ok: true; settled: 'now' | 'already' } | { ok: false; code: 'grace'; waitMs: number } | StoreFailure> {
    const t = attemptKeys(this.keys, ref);
    const packed = JSON.stringify({
      attemptId: ref.attemptId,
      exam: a.examId,
      passed: a.score.passed,
      result: JSON.stringify(a.score),
      graceMs: a.graceMs,
      keepSec: a.keepSec,
    });
    const reply = await this.run(
      'settle',
      [this.keys.state(ref.candidateId), t.attempt, t.questions, t.answers, t.paper, t.log],
      [packed],
    );
    if (reply[0] === 'err' && reply[1] === 'grace') return { ok: false, code: 'grace', waitMs: Number(reply[2]) };
    if (reply[0] !== 'ok') return failure(reply);
    return { ok: true, settled: reply[1] === 'settled' ? 'now' : 'already' };
  }

  /** Puts a try in progress back from its record, unless Redis has it. */
  async restore(ref: AttemptRef, r: { attempt: AttemptState; answers: StoredAnswers; paper: Paper }): Promise<void> {
    const t = attemptKeys(this.keys, ref);
    const packed = JSON.stringify({
      attempt: Object.entries(encodeAttempt(r.attempt)).flat(),
      answers: Object.entries(r.answers).flat(),
      paper: packPaper(r.paper),
      metas: questionMetas(r.paper).flat(),
    });
    await this.run('restore', [t.attempt, t.questions, t.answers, t.paper, t.log], [packed]);
  }

  /** Frees the candidate's running-try slot when it names this try (which exists nowhere any more). */
  async release(ref: AttemptRef): Promise<void> {
    await this.run('release', [this.keys.state(ref.candidateId)], [ref.attemptId]);
  }

  // ---------------------------------------------------------------- records (read by workers)

  /**
   * Marks a try for the next checkpoint. Sent in the same tick as the script that changes the try,
   * so both travel in one pipeline, and awaited before the change is acknowledged: whatever a
   * candidate was told is saved is also marked, in Redis, where any worker finds it even if this
   * process dies the next moment. (The mark cannot live in the script itself on a Redis Cluster:
   * the bucket's slot is not the candidate's.) A mark for a request the script refused only costs
   * a checkpoint that finds nothing new.
   */
  async markForCheckpoint(ref: AttemptRef): Promise<void> {
    await this.redis.zadd(this.keys.checkpointDirty(bucketOf(ref.attemptId)), Date.now(), member(ref));
  }

  /**
   * Claims up to `max` marked tries of one bucket for a checkpoint. Acknowledge them with
   * `ackCheckpoint` once written; claims not acknowledged within `visibilityMs` are claimed again.
   */
  async claimForCheckpoint(bucket: number, max: number, visibilityMs: number): Promise<AttemptRef[]> {
    const k = this.keys;
    const reply = (await this.run(
      'claim',
      [k.checkpointDirty(bucket), k.checkpointClaimed(bucket)],
      [visibilityMs, max],
    )) as unknown as string[];
    return reply.map(parseMember);
  }

  async ackCheckpoint(bucket: number, refs: AttemptRef[]): Promise<void> {
    if (refs.length) await this.redis.zrem(this.keys.checkpointClaimed(bucket), ...refs.map(member));
  }

  /**
   * The backstop: marks every try Redis holds (SCAN over every master), so that a try whose mark
   * was lost (or that was written before marks existed) is checkpointed too. Returns how many.
   */
  async markAllForCheckpoint(): Promise<number> {
    const nodes =
      'nodes' in this.redis
        ? (this.redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master')
        : [this.redis];
    const prefix = this.keys.attemptScan.slice(0, this.keys.attemptScan.indexOf('{'));
    let marked = 0;
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', this.keys.attemptScan, 'COUNT', 1000);
        cursor = next;
        const refs = found.map((key) => ATTEMPT_KEY.exec(key.slice(prefix.length))).filter((m) => m !== null);
        await Promise.all(refs.map((m) => this.markForCheckpoint({ candidateId: m[1]!, attemptId: m[2]! })));
        marked += refs.length;
      } while (cursor !== '0');
    }
    return marked;
  }

  /**
   * What changed in each try since the log position its record holds (`from`; undefined = no record
   * yet, so everything and the first record). Tries Redis no longer has are left out.
   */
  async readChanges(items: { ref: AttemptRef; from?: number }[]): Promise<AttemptChanges[]> {
    const [[sec, micro], replies, papers] = await Promise.all([
      this.redis.time(),
      Promise.all(
        items.map(({ ref, from }) => {
          const t = attemptKeys(this.keys, ref);
          return this.run('checkpoint', [t.attempt, t.answers, t.log], [from ?? 0, from === undefined ? '1' : '0']);
        }),
      ),
      Promise.all(
        items.map(({ ref, from }) =>
          from === undefined ? this.redis.get(this.keys.paper(ref.candidateId, ref.attemptId)) : Promise.resolve(null),
        ),
      ),
    ]);
    const at = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    const out: AttemptChanges[] = [];
    items.forEach(({ ref, from = 0 }, n) => {
      const reply = replies[n]!;
      if (reply[0] === 'gone') return;
      const to = Number(reply[1]);
      if (reply[0] === 'whole') {
        const [, , attemptFlat, answersFlat] = reply as [string, number, string[], string[]];
        const fields = pairs(attemptFlat);
        const state = withoutResult(fields);
        if (!state) return;
        const packed = papers[n];
        const started = packed ? startedRecord(ref, decodeAttempt(fields), unpackPaper(packed)) : null;
        if (!started && items[n]!.from === undefined) return;
        out.push({ ...ref, whole: true, answers: pairs(answersFlat), cleared: [], state, from, to, at, started });
        return;
      }
      const [, , entries, attemptFlat] = reply as [string, number, string[], string[] | false | null];
      if (!entries.length) return;
      const { set, cleared } = answersFromLog(entries.map(decodeLogEntry));
      const state = attemptFlat ? withoutResult(pairs(attemptFlat)) : null;
      out.push({ ...ref, whole: false, answers: set, cleared, state, from, to, at, started: null });
    });
    return out;
  }

  /** The whole record of a settled try; null when Redis no longer has it, `not_settled` before. */
  async finishedRecord(ref: AttemptRef): Promise<FinishedRecord | null | 'not_settled'> {
    const snap = await this.view({ internal: ref.candidateId }, ref);
    if (!snap.ok) return null;
    const a = snap.attempt;
    if (a.status !== 'settled' || !a.result) return 'not_settled';
    const events = await this.redis.lrange(this.keys.log(ref.candidateId, ref.attemptId), 0, -1);
    return {
      ...startedRecord(ref, a, snap.paper),
      answers: snap.answers,
      sections: a.sections,
      events,
      score: a.result,
      finishedAt: a.closedAt ?? a.settledAt ?? 0,
    };
  }

  // ---------------------------------------------------------------- plumbing

  private async snapshot(
    name: 'view' | 'submit',
    who: Caller,
    ref: AttemptRef,
    extra: string[],
  ): Promise<Snapshot | StoreFailure> {
    const t = attemptKeys(this.keys, ref);
    const session =
      'auth' in who ? this.keys.session(ref.candidateId, who.auth.tokenHash) : this.keys.session(ref.candidateId, '-');
    const cached = this.papers.get(ref.attemptId);
    const reply = await this.run(
      name,
      [session, t.attempt, t.answers, t.paper, t.log],
      ['auth' in who ? '0' : '1', cached ? '0' : '1', ...extra],
    );
    if (reply[0] !== 'ok') return failure(reply);
    const [, now, moved, attemptFlat, answersFlat, packed] = reply as [
      string,
      number,
      number,
      string[],
      string[],
      string | false | null,
    ];
    let paper = cached;
    if (!paper) {
      if (!packed) throw new Error(`the paper of ${ref.attemptId} is missing from Redis`);
      paper = unpackPaper(packed);
      this.papers.set(ref.attemptId, paper);
    }
    return {
      ok: true,
      now: Number(now),
      moved: moved === 1,
      attempt: decodeAttempt(pairs(attemptFlat)),
      answers: pairs(answersFlat),
      paper,
    };
  }
}

/** An attempt hash's key, after the prefix: the attempt's other keys have a further suffix. */
const ATTEMPT_KEY = /^ex:\{c:([^}]+)\}:a:([A-Za-z0-9]+)$/;

const member = (ref: AttemptRef) => `${ref.candidateId} ${ref.attemptId}`;
function parseMember(m: string): AttemptRef {
  const [candidateId, attemptId] = m.split(' ') as [string, string];
  return { candidateId, attemptId };
}

/** Which checkpoint bucket a try's mark goes to: spreads the marks over slots on a cluster. */
export function bucketOf(attemptId: string): number {
  let h = 0;
  for (let i = 0; i < attemptId.length; i++) h = (h * 31 + attemptId.charCodeAt(i)) >>> 0;
  return h % CHECKPOINT_BUCKETS;
}

function failure(reply: RawReply): StoreFailure {
  if (reply[0] !== 'err') throw new Error(`unexpected script reply ${String(reply[0])}`);
  return {
    ok: false,
    code: reply[1] as StoreErrorCode,
    ...(typeof reply[2] === 'string' || typeof reply[2] === 'number' ? { subject: String(reply[2]) } : {}),
  };
}

/** The attempt hash as a checkpoint keeps it: the score lives in the finished record instead. */
function withoutResult(fields: AttemptFields): AttemptFields | null {
  const { result: _result, ...state } = fields;
  return state.st ? state : null;
}

function startedRecord(ref: AttemptRef, a: AttemptState, paper: Paper): StartedRecord {
  return {
    ...ref,
    cycleId: a.cycleId,
    examId: a.examId || paper.examId,
    number: a.number,
    seed: paper.seed,
    bankVersions: Object.fromEntries(paper.sections.map((s) => [s.bankId, s.bankVersion])),
    paper,
    startedAt: a.createdAt,
  };
}
