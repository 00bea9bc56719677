// Delivery: the timed sitting. Every candidate request is one Redis script (session check
// included) plus in-memory bank reads; Postgres is touched only on slow paths (a session or a
// profile Redis does not know).
import { and, eq } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { customAlphabet } from 'nanoid';
import type { BankStore } from '../banks/store.js';
import type { BankVersion } from '../banks/version.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { CandidateService, RegisteredProfile } from '../candidates/service.js';
import { maskIdNumber } from '../candidates/id-number.js';
import type { CycleService, Cycle } from '../cycles/service.js';
import type { Db } from '../db/client.js';
import { attempts, candidates } from '../db/schema.js';
import { AppError, type ErrorCode } from '../http/errors.js';
import { examsFor, passMarkFor, type Exam, type Level, type Procedure } from '../policy/schema.js';
import type { Keys } from '../redis/keys.js';
import { scoreAttempt, type AttemptScore } from '../scoring/score.js';
import { displayKeys, drawSection } from './draw.js';
import { packPaper, questionMeta, unpackPaper, type Paper, type PaperSection, type StoredAnswers } from './paper.js';
import { seededRng } from './random.js';
import type { DeliveryScripts, Reply, ScriptName } from './scripts.js';
import { Lru } from './lru.js';

export const newAttemptId = customAlphabet('0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', 16);
const newSeed = customAlphabet('0123456789abcdef', 32);

/** Who is asking: from the bearer token, before Redis has confirmed the session. */
export interface CandidateAuth {
  candidateId: string;
  tokenHash: string;
}

export interface AttemptRef {
  candidateId: string;
  attemptId: string;
}

/**
 * What delivery hands to the persistence layer (BullMQ in production). Records travel as
 * references: the worker reads the attempt from Redis (see startedRecord/finishedRecord), so that
 * API processes never serialise papers and histories into queue jobs. A try's first record is
 * written by its first checkpoint (a few seconds after the start, many tries per statement), not by
 * a job of its own: during the 08:00 rush that is one statement per few seconds instead of hundreds
 * of jobs and INSERTs a second.
 */
export interface DeliveryJobs {
  scheduleDeadline(candidateId: string, attemptId: string, section: number, delayMs: number): Promise<void>;
  attemptFinished(ref: AttemptRef): Promise<void>;
  checkpoint(items: AttemptRef[]): Promise<void>;
}

export interface StartedRecord {
  attemptId: string;
  candidateId: string;
  cycleId: string;
  examId: string;
  number: number;
  seed: string;
  bankVersions: Record<string, number>;
  paper: Paper;
  startedAt: number;
}
export interface FinishedRecord extends StartedRecord {
  answers: StoredAnswers;
  sections: SectionTimeline[];
  events: string[];
  score: AttemptScore;
  finishedAt: number;
}
export interface SectionTimeline {
  id: string;
  startedAt: number | null;
  endsAt: number | null;
  endedAt: number | null;
  endedBy: 'submit' | 'time' | null;
}

interface Snapshot {
  now: number;
  moved: boolean;
  attempt: Record<string, string>;
  answers: StoredAnswers;
  paper: Paper;
}

interface Context {
  now: number;
  profile: Record<string, string>;
  state: Record<string, string>;
}

export interface DeliveryOptions {
  graceMs: number;
  /** How long a finished attempt stays in Redis after it is settled (Postgres has it for good). */
  keepSec: number;
}

export class DeliveryService {
  private readonly papers = new Lru<string, Paper>(50_000);
  private dirty = new Map<string, string>();

  constructor(
    private readonly redis: Redis,
    private readonly scripts: DeliveryScripts,
    private readonly keys: Keys,
    private readonly db: Db,
    private readonly banks: BankStore,
    private readonly cycles: CycleService,
    private readonly catalogue: Catalogue,
    private readonly candidates: CandidateService,
    private readonly jobs: DeliveryJobs,
    private readonly opts: DeliveryOptions,
  ) {}

  // ---------------------------------------------------------------- candidate requests

  async me(auth: CandidateAuth) {
    const ctx = await this.context(auth);
    const cycle = this.cycleOf(ctx.profile);
    const exams = examsFor(cycle.policy, ctx.profile.procedure as Procedure).map((exam) =>
      this.examStatus(exam, ctx.state),
    );
    const main = exams.find((e) => e.outcome !== 'passed') ?? exams[0];
    return {
      candidate: {
        name: ctx.profile.name,
        idNumber: maskIdNumber(ctx.profile.idNumber ?? ''),
        specialty: ctx.profile.specialty,
        specialtyName: this.catalogue.byCode.get(ctx.profile.specialty ?? '')?.name ?? null,
        level: ctx.profile.level,
        cycleId: cycle.cycleId,
      },
      cycle: {
        cycleId: cycle.cycleId,
        title: cycle.title,
        opensAt: cycle.opensAt.toISOString(),
        closesAt: cycle.closesAt.toISOString(),
      },
      attempts: main ? main.attempts : { used: 0, max: 0, remaining: 0 },
      activeAttemptId: ctx.state.active ?? null,
      outcome: main ? main.outcome : 'passed',
      exams,
      serverTime: new Date(ctx.now).toISOString(),
    };
  }

  private examStatus(exam: Exam, state: Record<string, string>) {
    const used = Number(state[`used:${exam.id}`] ?? 0);
    const passed = state[`passed:${exam.id}`] === '1';
    const active = Boolean(state.active);
    const outcome = passed
      ? 'passed'
      : active
        ? 'in_progress'
        : used >= exam.maxAttempts
          ? 'failed'
          : used === 0
            ? 'not_started'
            : 'in_progress';
    return {
      id: exam.id,
      title: exam.title ?? exam.id,
      attempts: { used, max: exam.maxAttempts, remaining: Math.max(0, exam.maxAttempts - used) },
      outcome,
      sections: exam.sections.map((s) => ({
        id: s.id,
        title: s.title,
        durationSec: s.durationSec,
        items: s.items,
        points: s.points,
        passMark: s.passMark,
      })),
    };
  }

  async start(auth: CandidateAuth, examId?: string) {
    for (let round = 0; round < 4; round++) {
      const ctx = await this.context(auth);
      const cycle = this.cycleOf(ctx.profile);
      const exams = examsFor(cycle.policy, ctx.profile.procedure as Procedure);
      const exam = examId
        ? exams.find((e) => e.id === examId)
        : (exams.find((e) => ctx.state[`passed:${e.id}`] !== '1') ?? exams[0]);
      if (!exam)
        throw new AppError(
          'not_registered_for_exam',
          examId ? `未报名考试 ${examId}` : '该报名无需参加网上考试 (no online exam for this registration)',
        );

      // A try whose time ran out but that nobody has closed yet must not block the next one.
      if (ctx.state.active && (await this.closeIfDue(auth.candidateId, ctx.state.active))) continue;

      // Checks in Node first, for the right error when several apply; the script re-checks atomically.
      const used = Number(ctx.state[`used:${exam.id}`] ?? 0);
      if (ctx.state[`passed:${exam.id}`] === '1') throw new AppError('already_passed');
      if (ctx.state.active) throw new AppError('attempt_in_progress', undefined, { attemptId: ctx.state.active });
      if (used >= exam.maxAttempts)
        throw new AppError(
          'attempt_cap_reached',
          `最多可考 ${exam.maxAttempts} 次 (at most ${exam.maxAttempts} tries)`,
        );
      if (ctx.now < cycle.opensAt.getTime() || ctx.now >= cycle.closesAt.getTime())
        throw new AppError(
          'window_closed',
          `考试时间为 ${cycle.opensAt.toISOString()} 至 ${cycle.closesAt.toISOString()}`,
        );
      const specialty = this.catalogue.byCode.get(ctx.profile.specialty ?? '');
      const online = specialty?.online !== false;
      if (!online) throw new AppError('specialty_not_online', `${specialty?.name ?? ''}不进行网上考核`);

      const attemptId = newAttemptId();
      const seed = newSeed();
      const paper = this.drawPaper(exam, ctx, cycle, seed);
      const seen = new Map<string, string[]>();
      for (const s of paper.sections) {
        const ids = s.units.flatMap((u) => u.items.map((i) => i.id));
        seen.set(s.bankId, [...(seen.get(s.bankId) ?? []), ...ids]);
      }
      const args: (string | number)[] = [
        '0',
        exam.id,
        exam.maxAttempts,
        used,
        cycle.opensAt.getTime(),
        cycle.closesAt.getTime(),
        online ? '1' : '0',
        attemptId,
        packPaper(paper),
        cycle.cycleId,
        paper.sections.length,
        ...paper.sections.flatMap((s) => [s.id, s.durationMs]),
        seen.size,
        ...[...seen].flatMap(([bank, ids]) => [`seen:${bank}`, ids.join(',')]),
        ...questionMeta(paper).flat(),
      ];
      const k = this.keys;
      const cid = auth.candidateId;
      const reply = await this.scripts.run(
        'dkStart',
        [
          k.session(cid, auth.tokenHash),
          k.state(cid),
          k.attempt(cid, attemptId),
          k.questions(cid, attemptId),
          k.paper(cid, attemptId),
          k.log(cid, attemptId),
        ],
        args,
      );
      if (reply[0] === 'err') {
        if (reply[1] === 'retry' || reply[1] === 'nostate') continue;
        if (reply[1] === 'nosession') throw new AppError('unauthenticated');
        throw new AppError(reply[1] as ErrorCode, undefined, reply[2] ? { attemptId: reply[2] } : undefined);
      }
      const now = Number(reply[1]);
      const number = Number(reply[2]);
      this.papers.set(attemptId, paper);
      this.dirty.set(attemptId, cid);
      await this.jobs.scheduleDeadline(cid, attemptId, 0, paper.sections[0]!.durationMs + this.opts.graceMs);
      const first = paper.sections[0]!;
      const attempt: Record<string, string> = {
        st: 'in_progress',
        n: String(paper.sections.length),
        cur: '0',
        num: String(number),
        exam: exam.id,
        s0: String(now),
        e0: String(now + first.durationMs),
        ...Object.fromEntries(paper.sections.map((s, i) => [`sid${i}`, s.id])),
      };
      return this.render(attemptId, { now, moved: false, attempt, answers: {}, paper });
    }
    throw new AppError('conflict', '开始考试的请求冲突，请重试 (concurrent start; try again)');
  }

  async view(auth: CandidateAuth, attemptId: string) {
    const snap = await this.snapshot(auth, 'dkView', attemptId, []);
    await this.afterMove(auth.candidateId, attemptId, snap);
    return this.render(attemptId, snap);
  }

  /** A try keeps the bank versions it was drawn from, even when newer ones are published. */
  private async loadVersions(paper: Paper): Promise<void> {
    for (const s of paper.sections)
      if (!this.banks.cached(s.bankId, s.bankVersion) && !(await this.banks.get(s.bankId, s.bankVersion)))
        throw new Error(`bank ${s.bankId}@${s.bankVersion} of a paper is missing from Postgres`);
  }

  async save(auth: CandidateAuth, attemptId: string, answers: Record<string, string[]>) {
    const k = this.keys;
    const cid = auth.candidateId;
    const args: (string | number)[] = ['0', this.opts.graceMs];
    for (const [qid, letters] of Object.entries(answers)) args.push(qid, letters.join(''));
    const reply = await this.runAuthed(
      auth,
      'dkSave',
      [k.attempt(cid, attemptId), k.questions(cid, attemptId), k.answers(cid, attemptId), k.log(cid, attemptId)],
      args,
    );
    if (reply[0] === 'err') throw scriptError(reply);
    const now = Number(reply[1]);
    if (reply[2] === 1) await this.afterMove(cid, attemptId, null);
    if (Number(reply[3]) > 0) this.dirty.set(attemptId, cid);
    return { saved: Number(reply[3]), serverTime: new Date(now).toISOString() };
  }

  async submit(auth: CandidateAuth, attemptId: string, sectionId: string) {
    const snap = await this.snapshot(auth, 'dkSubmit', attemptId, [sectionId]);
    const settled = await this.afterMove(auth.candidateId, attemptId, snap);
    return this.render(attemptId, settled ?? snap);
  }

  async result(auth: CandidateAuth, attemptId: string) {
    let snap: Snapshot;
    try {
      snap = await this.snapshot(auth, 'dkView', attemptId, []);
    } catch (e) {
      // Settled attempts leave Redis after a while; the record answers then.
      if (e instanceof AppError && e.code === 'not_found') return this.resultFromRecord(auth.candidateId, attemptId);
      throw e;
    }
    if (snap.attempt.st === 'closed') snap = (await this.settle(auth.candidateId, attemptId, snap)) ?? snap;
    if (snap.attempt.st !== 'settled') {
      const retry = snap.attempt.st === 'closed' ? Math.ceil(this.opts.graceMs / 1000) : undefined;
      throw new AppError(
        'attempt_not_finished',
        '考试尚未结束 (the attempt is not finished)',
        retry ? { retryAfterSec: retry } : undefined,
      );
    }
    return resultView(attemptId, JSON.parse(snap.attempt.result!) as AttemptScore);
  }

  private async resultFromRecord(candidateId: string, attemptId: string) {
    const [row] = await this.db
      .select({ scores: attempts.scores, status: attempts.status })
      .from(attempts)
      .where(and(eq(attempts.attemptId, attemptId), eq(attempts.candidateId, candidateId)));
    if (!row) throw new AppError('not_found');
    if (row.status !== 'finished' || !row.scores) throw new AppError('attempt_not_finished');
    return resultView(attemptId, row.scores as AttemptScore);
  }

  // ---------------------------------------------------------------- time and settlement

  /**
   * Moves an attempt on by the clock, without a candidate (deadline jobs, the sweeper). Returns
   * false when the attempt is not in Redis.
   */
  async enforceDeadline(
    candidateId: string,
    attemptId: string,
    opts: { record?: boolean } = {},
  ): Promise<'gone' | 'running' | 'waiting' | 'settled'> {
    const snap = await this.internalSnapshot(candidateId, attemptId);
    if (!snap) return 'gone';
    const settled = await this.afterMove(candidateId, attemptId, snap);
    // The sweeper found Postgres behind Redis (the finish job was lost): queue the record again.
    if (opts.record && !settled && snap.attempt.st === 'settled')
      await this.jobs.attemptFinished({ candidateId, attemptId });
    const st = (settled ?? snap).attempt.st;
    return st === 'settled' ? 'settled' : st === 'closed' ? 'waiting' : 'running';
  }

  /** After the clock or a submit moved an attempt: schedule the next deadline, or settle. */
  private async afterMove(candidateId: string, attemptId: string, snap: Snapshot | null): Promise<Snapshot | null> {
    if (snap && !snap.moved && snap.attempt.st !== 'closed') return null;
    snap ??= await this.internalSnapshot(candidateId, attemptId);
    if (!snap) return null;
    const a = snap.attempt;
    if (a.st === 'in_progress') {
      const cur = Number(a.cur);
      await this.jobs.scheduleDeadline(
        candidateId,
        attemptId,
        cur,
        Number(a[`e${cur}`]) - snap.now + this.opts.graceMs,
      );
      return null;
    }
    if (a.st === 'closed') return this.settle(candidateId, attemptId, snap);
    return null;
  }

  /** Scores a closed attempt, records the outcome in Redis and queues the record for Postgres. */
  async settle(candidateId: string, attemptId: string, snap: Snapshot): Promise<Snapshot | null> {
    if (snap.attempt.st !== 'closed') return null;
    const score = await this.score(snap.paper, snap.answers);
    const k = this.keys;
    const exam = snap.attempt.exam!;
    const reply = await this.scripts.run(
      'dkSettle',
      [
        k.state(candidateId),
        k.attempt(candidateId, attemptId),
        k.questions(candidateId, attemptId),
        k.answers(candidateId, attemptId),
        k.paper(candidateId, attemptId),
        k.log(candidateId, attemptId),
      ],
      [attemptId, exam, score.passed ? '1' : '0', JSON.stringify(score), this.opts.graceMs, this.opts.keepSec],
    );
    if (reply[0] === 'err') {
      if (reply[1] === 'grace') return null; // the deadline job comes back when the grace is over
      throw scriptError(reply);
    }
    const attempt = { ...snap.attempt, st: 'settled', result: JSON.stringify(score) };
    if (reply[1] === 'settled') await this.jobs.attemptFinished({ candidateId, attemptId });
    return { ...snap, attempt };
  }

  // ---------------------------------------------------------------- records (read by workers)

  /**
   * The whole record of a settled try: paper, answers, section timeline, history, score. Null when
   * Redis no longer has it; `not_settled` while it is still running or inside its grace.
   */
  async finishedRecord(candidateId: string, attemptId: string): Promise<FinishedRecord | null | 'not_settled'> {
    const snap = await this.internalSnapshot(candidateId, attemptId);
    if (!snap) return null;
    const a = snap.attempt;
    if (a.st !== 'settled' || !a.result) return 'not_settled';
    const events = await this.redis.lrange(this.keys.log(candidateId, attemptId), 0, -1);
    return {
      ...this.startedRecord(candidateId, attemptId, a, snap.paper),
      answers: snap.answers,
      sections: timeline(a, snap.paper),
      events,
      score: JSON.parse(a.result) as AttemptScore,
      finishedAt: Number(a.closedAt),
    };
  }

  /** The record of a try as it started, from its attempt hash and paper. */
  startedRecord(candidateId: string, attemptId: string, a: Record<string, string>, paper: Paper): StartedRecord {
    return {
      attemptId,
      candidateId,
      cycleId: a.cycle ?? '',
      examId: a.exam ?? paper.examId,
      number: Number(a.num),
      seed: paper.seed,
      bankVersions: Object.fromEntries(paper.sections.map((s) => [s.bankId, s.bankVersion])),
      paper,
      startedAt: Number(a.created ?? a.s0),
    };
  }

  async score(paper: Paper, answers: StoredAnswers): Promise<AttemptScore> {
    const versions = new Map<string, BankVersion>();
    for (const s of paper.sections) {
      const v = await this.banks.get(s.bankId, s.bankVersion);
      if (!v) throw new Error(`bank ${s.bankId}@${s.bankVersion} is missing`);
      versions.set(`${s.bankId}@${s.bankVersion}`, v);
    }
    return scoreAttempt(paper, answers, (bankId, version, itemId) =>
      versions.get(`${bankId}@${version}`)?.itemById.get(itemId),
    );
  }

  /** Closes (and settles) the candidate's active attempt when its time is up. True if it is no longer active. */
  private async closeIfDue(candidateId: string, attemptId: string): Promise<boolean> {
    const result = await this.enforceDeadline(candidateId, attemptId);
    // Neither Redis nor Postgres has it (Redis lost it before its first record): let the candidate go on.
    if (result === 'gone') await this.scripts.run('dkRelease', [this.keys.state(candidateId)], [attemptId]);
    return result === 'settled' || result === 'gone';
  }

  /** Attempts started, or whose answers changed, since the last checkpoint; the caller queues them. */
  takeDirty(): AttemptRef[] {
    const out = [...this.dirty].map(([attemptId, candidateId]) => ({ candidateId, attemptId }));
    this.dirty = new Map();
    return out;
  }

  // ---------------------------------------------------------------- Redis plumbing

  /** Runs a candidate script; a session Redis does not know is looked up in Postgres once. */
  private async runAuthed(
    auth: CandidateAuth,
    name: ScriptName,
    keys: string[],
    args: (string | number)[],
  ): Promise<Reply> {
    const sessionKey = this.keys.session(auth.candidateId, auth.tokenHash);
    let reply = await this.scripts.run(name, [sessionKey, ...keys], args);
    if (reply[0] === 'err' && reply[1] === 'nosession') {
      if (!(await this.candidates.restoreSession(auth.candidateId, auth.tokenHash)))
        throw new AppError('unauthenticated');
      reply = await this.scripts.run(name, [sessionKey, ...keys], args);
      if (reply[0] === 'err' && reply[1] === 'nosession') throw new AppError('unauthenticated');
    }
    return reply;
  }

  private async snapshot(
    auth: CandidateAuth,
    name: 'dkView' | 'dkSubmit',
    attemptId: string,
    extra: string[],
  ): Promise<Snapshot> {
    const k = this.keys;
    const cid = auth.candidateId;
    const keys = [k.attempt(cid, attemptId), k.answers(cid, attemptId), k.paper(cid, attemptId), k.log(cid, attemptId)];
    let reply = await this.runAuthed(auth, name, keys, ['0', this.papers.has(attemptId) ? '0' : '1', ...extra]);
    if (reply[0] === 'err' && reply[1] === 'not_found' && (await this.restoreFromRecord(cid, attemptId)))
      reply = await this.runAuthed(auth, name, keys, ['0', '1', ...extra]);
    if (reply[0] === 'err') throw scriptError(reply);
    const snap = this.toSnapshot(attemptId, reply);
    await this.loadVersions(snap.paper);
    return snap;
  }

  private async internalSnapshot(candidateId: string, attemptId: string): Promise<Snapshot | null> {
    const k = this.keys;
    const keys = [
      k.session(candidateId, '-'),
      k.attempt(candidateId, attemptId),
      k.answers(candidateId, attemptId),
      k.paper(candidateId, attemptId),
      k.log(candidateId, attemptId),
    ];
    let reply = await this.scripts.run('dkView', keys, ['1', '1']);
    if (reply[0] === 'err' && reply[1] === 'not_found' && (await this.restoreFromRecord(candidateId, attemptId)))
      reply = await this.scripts.run('dkView', keys, ['1', '1']);
    if (reply[0] === 'err') return null;
    return this.toSnapshot(attemptId, reply);
  }

  private toSnapshot(attemptId: string, reply: Reply): Snapshot {
    const [, now, moved, attemptFlat, answersFlat, paperJson] = reply as [
      string,
      number,
      number,
      string[],
      string[],
      string | false | null,
    ];
    let paper = this.papers.get(attemptId);
    if (!paper) {
      if (!paperJson) throw new Error(`paper of ${attemptId} was not returned`);
      paper = unpackPaper(paperJson);
      this.papers.set(attemptId, paper);
    }
    return { now: Number(now), moved: moved === 1, attempt: pairs(attemptFlat), answers: pairs(answersFlat), paper };
  }

  /** Profile and hot state of a candidate, rebuilt from Postgres when Redis does not have them. */
  private async context(auth: CandidateAuth): Promise<Context> {
    const k = this.keys;
    const cid = auth.candidateId;
    for (let i = 0; i < 2; i++) {
      const reply = await this.runAuthed(auth, 'dkPrepare', [k.profile(cid), k.state(cid)], ['0']);
      if (reply[0] === 'ok') {
        const [, now, profile, state] = reply as [string, number, string[], string[]];
        return { now: Number(now), profile: pairs(profile), state: pairs(state) };
      }
      if (reply[1] !== 'nostate') throw scriptError(reply);
      await this.hydrate(cid);
    }
    throw new AppError('unavailable', '无法载入考生状态 (could not load the candidate state)');
  }

  /**
   * Rebuilds a candidate's profile and try counts from Postgres: on first use, and after Redis lost
   * its data. A try in progress is put back from its last checkpoint, so a lost Redis costs seconds.
   */
  private async hydrate(candidateId: string): Promise<void> {
    const [cand] = await this.db.select().from(candidates).where(eq(candidates.candidateId, candidateId));
    if (!cand) throw new AppError('unauthenticated');
    const rows = await this.db.select().from(attempts).where(eq(attempts.candidateId, candidateId));
    const state: Record<string, string> = {};
    const seen = new Map<string, string[]>();
    for (const r of rows) {
      state[`used:${r.examId}`] = String(Math.max(Number(state[`used:${r.examId}`] ?? 0), r.number));
      if (r.passed) state[`passed:${r.examId}`] = '1';
      if (r.status === 'in_progress') state.active = r.attemptId;
      for (const s of (r.paper as Paper).sections)
        seen.set(s.bankId, [...(seen.get(s.bankId) ?? []), ...s.units.flatMap((u) => u.items.map((i) => i.id))]);
    }
    for (const [bank, ids] of seen) state[`seen:${bank}`] = ids.join(',');
    const profile: Record<string, string> = {
      cycle: cand.cycleId,
      specialty: cand.specialty,
      level: cand.level,
      procedure: cand.procedure,
      name: cand.name,
      idNumber: cand.idNumber,
    };
    const k = this.keys;
    await this.scripts.run(
      'dkHydrate',
      [k.profile(candidateId), k.state(candidateId)],
      [Object.keys(profile).length, ...Object.entries(profile).flat(), ...Object.entries(state).flat()],
    );
    if (state.active) await this.restoreFromRecord(candidateId, state.active);
  }

  /**
   * Writes the hot profile and an empty state for candidates just registered, so that the 08:00
   * rush of first starts is served from Redis alone. The state is only written where absent.
   */
  async warm(profiles: RegisteredProfile[]): Promise<void> {
    const k = this.keys;
    await Promise.all(
      profiles.map(({ candidateId, ...profile }) =>
        this.scripts.run(
          'dkHydrate',
          [k.profile(candidateId), k.state(candidateId)],
          [Object.keys(profile).length, ...Object.entries(profile).flat()],
        ),
      ),
    );
  }

  /** Loads a candidate's profile and state into Redis when they are not there (called at login). */
  async ensureHot(candidateId: string): Promise<void> {
    const k = this.keys;
    const [loaded, profile] = await Promise.all([
      this.redis.hexists(k.state(candidateId), 'loaded'),
      this.redis.exists(k.profile(candidateId)),
    ]);
    if (!loaded || !profile) await this.hydrate(candidateId);
  }

  /** Puts an attempt that Postgres holds as in progress back into Redis. */
  private async restoreFromRecord(candidateId: string, attemptId: string): Promise<boolean> {
    const [r] = await this.db
      .select()
      .from(attempts)
      .where(and(eq(attempts.attemptId, attemptId), eq(attempts.candidateId, candidateId)));
    if (!r || r.status !== 'in_progress') return false;
    const paper = r.paper as Paper;
    const fields: Record<string, string> = {
      ...(r.checkpoint?.st
        ? r.checkpoint
        : {
            st: 'in_progress',
            n: String(paper.sections.length),
            cur: '0',
            num: String(r.number),
            exam: r.examId,
            cycle: r.cycleId,
            created: String(r.startedAt.getTime()),
            s0: String(r.startedAt.getTime()),
            e0: String(r.startedAt.getTime() + paper.sections[0]!.durationMs),
            ...Object.fromEntries(
              paper.sections.flatMap((s, i) => [
                [`sid${i}`, s.id],
                [`d${i}`, String(s.durationMs)],
              ]),
            ),
          }),
      // The new log goes on from where the checkpoint left the old one.
      lb: String(r.checkpointLog),
    };
    const answers: StoredAnswers = r.answers ?? {};
    const k = this.keys;
    await this.scripts.run(
      'dkRestore',
      [
        k.attempt(candidateId, attemptId),
        k.questions(candidateId, attemptId),
        k.answers(candidateId, attemptId),
        k.paper(candidateId, attemptId),
        k.log(candidateId, attemptId),
        k.state(candidateId),
      ],
      [
        attemptId,
        Object.keys(fields).length,
        ...Object.entries(fields).flat(),
        Object.keys(answers).length,
        ...Object.entries(answers).flat(),
        packPaper(paper),
        ...questionMeta(paper).flat(),
      ],
    );
    return true;
  }

  // ---------------------------------------------------------------- papers

  private drawPaper(exam: Exam, ctx: Context, cycle: Cycle, seed: string): Paper {
    const level = (ctx.profile.level ?? 'physician') as Level;
    const sections: PaperSection[] = exam.sections.map((s) => {
      const bankId = s.bank === '@specialty' ? ctx.profile.specialty! : s.bank;
      const bank = this.banks.latest(bankId);
      if (!bank)
        throw new AppError('bank_missing', `题库 ${bankId} 尚未发布 (bank ${bankId} is not published)`, {
          section: s.id,
          bankId,
        });
      const seenIds = new Set((ctx.state[`seen:${bankId}`] ?? '').split(',').filter(Boolean));
      const drawn = drawSection(bank, s.items, s.points, seenIds, seededRng(seed, s.id));
      if (!drawn.ok)
        throw new AppError(
          'bank_too_small',
          `题库 ${bankId} 无法组成「${s.title}」：需要 ${drawn.needed} 题，可用 ${drawn.available} 题`,
          {
            section: s.id,
            bankId,
            needed: drawn.needed,
            available: drawn.available,
          },
        );
      return {
        id: s.id,
        title: s.title,
        bankId,
        bankVersion: bank.version,
        durationMs: s.durationSec * 1000,
        points: s.points,
        passMark: passMarkFor(s.passMark, level),
        units: drawn.units,
      };
    });
    return { examId: exam.id, policyId: cycle.policyId, level, seed, sections };
  }

  private cycleOf(profile: Record<string, string>): Cycle {
    const cycle = this.cycles.get(profile.cycle ?? '');
    if (!cycle) throw new AppError('not_found', '考核周期不存在 (the cycle no longer exists)');
    return cycle;
  }

  /** The candidate's view of an attempt: no answer key, options re-lettered as this candidate sees them. */
  private render(attemptId: string, snap: Snapshot) {
    const a = snap.attempt;
    const paper = snap.paper;
    const finished = a.st !== 'in_progress';
    const cur = Number(a.cur);
    const sections = paper.sections.map((s, i) => ({
      id: s.id,
      title: s.title,
      status:
        i < cur || finished
          ? a[`h${i}`] === 'time'
            ? 'timed_out'
            : 'submitted'
          : i === cur
            ? 'in_progress'
            : 'not_started',
      durationSec: s.durationMs / 1000,
      items: s.units.reduce((t, u) => t + u.items.length, 0),
    }));
    let section = null;
    if (!finished) {
      const s = paper.sections[cur]!;
      const bank = this.banks.cached(s.bankId, s.bankVersion);
      if (!bank) throw new AppError('unavailable', `bank ${s.bankId}@${s.bankVersion} is not loaded`);
      const endsAt = Number(a[`e${cur}`]);
      section = {
        id: s.id,
        title: s.title,
        startedAt: new Date(Number(a[`s${cur}`])).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        remainingMs: Math.max(0, endsAt - snap.now),
        questions: s.units.flatMap((u) => {
          const unit = bank.unitById.get(u.id)!;
          const group = unit.kind === 'item' ? undefined : { id: unit.id, type: unit.kind, stem: unit.stem ?? '' };
          return u.items.map((d) => {
            const item = bank.itemById.get(d.id)!;
            const text = new Map(item.options.map((o) => [o.key, o.text]));
            const keys = displayKeys(d);
            return {
              id: d.id,
              type: d.type,
              stem: item.stem,
              options: d.order.map((bankKey, i) => ({ key: keys[i]!, text: text.get(bankKey)! })),
              ...(group ? { group } : {}),
            };
          });
        }),
      };
    }
    // Stored answers are bank keys; show them in this candidate's letters.
    const answers: Record<string, string[]> = {};
    for (const s of paper.sections)
      for (const u of s.units)
        for (const d of u.items) {
          const stored = snap.answers[d.id];
          if (!stored) continue;
          const keys = displayKeys(d);
          answers[d.id] = [...stored].map((key) => keys[d.order.indexOf(key)]!).sort();
        }
    return {
      id: attemptId,
      number: Number(a.num),
      examId: a.exam ?? paper.examId,
      status: finished ? 'finished' : 'in_progress',
      serverTime: new Date(snap.now).toISOString(),
      section,
      answers,
      sections,
    };
  }
}

function resultView(attemptId: string, score: AttemptScore) {
  return {
    attemptId,
    passed: score.passed,
    score: score.score,
    maxScore: score.maxScore,
    sections: score.sections.map((s) => ({
      id: s.id,
      title: s.title,
      score: s.score,
      maxScore: s.maxScore,
      passMark: s.passMark,
      passed: s.passed,
    })),
  };
}

function timeline(a: Record<string, string>, paper: Paper): SectionTimeline[] {
  const num = (v: string | undefined) => (v === undefined ? null : Number(v));
  return paper.sections.map((s, i) => ({
    id: s.id,
    startedAt: num(a[`s${i}`]),
    endsAt: num(a[`e${i}`]),
    endedAt: num(a[`x${i}`]),
    endedBy: (a[`h${i}`] as 'submit' | 'time' | undefined) ?? null,
  }));
}

function pairs(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}

const SCRIPT_ERRORS = new Set<string>([
  'not_found',
  'question_not_in_section',
  'section_closed',
  'invalid_choice',
  'attempt_not_finished',
]);

function scriptError(reply: Reply): AppError {
  const code = String(reply[1]);
  const subject = reply[2] ? String(reply[2]) : undefined;
  if (code === 'nosession') return new AppError('unauthenticated');
  if (code === 'section_not_started') return new AppError('conflict', '该部分尚未开始 (that section has not started)');
  if (SCRIPT_ERRORS.has(code)) {
    const detail = subject ? `题目 ${subject}` : undefined;
    return new AppError(code as ErrorCode, detail, subject ? { questionId: subject } : undefined);
  }
  return new AppError('internal_error', `unexpected script reply ${code}`);
}
