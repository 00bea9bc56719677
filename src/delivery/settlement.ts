// Time and settlement: what happens to a try when the clock or a submit moves it — the next
// deadline is scheduled, or the closed try is scored, settled in Redis and queued for its record.
import type { BankStore } from '../banks/store.js';
import type { BankVersion } from '../banks/version.js';
import { AppError } from '../errors.js';
import type { Paper, StoredAnswers } from '../papers/paper.js';
import { scoreAttempt, type AttemptScore } from '../scoring/score.js';
import type { AttemptRef, AttemptStore, Snapshot, StoreFailure } from './store/attempts.js';
import type { HotStateLoader } from './hot-state.js';

/** Where settled tries go (BullMQ in production: results/jobs.ts). */
export interface AttemptRecords {
  attemptFinished(ref: AttemptRef): Promise<void>;
}

/** Where the next deadline of a try goes (BullMQ delayed jobs: deadlines.ts). */
export interface DeadlineScheduler {
  scheduleDeadline(ref: AttemptRef, section: number, delayMs: number): Promise<void>;
}

export interface SettlementOptions {
  graceMs: number;
  /** How long a settled try stays in Redis (Postgres has it for good). */
  keepSec: number;
}

export type DeadlineOutcome = 'gone' | 'running' | 'waiting' | 'settled';

export class Settlement {
  constructor(
    private readonly store: AttemptStore,
    private readonly hot: HotStateLoader,
    private readonly banks: BankStore,
    private readonly deadlines: DeadlineScheduler,
    private readonly records: AttemptRecords,
    private readonly opts: SettlementOptions,
  ) {}

  /** Reads a try for the engine itself; a try Redis lost is put back from Postgres first. */
  async read(ref: AttemptRef): Promise<Snapshot | null> {
    let snap = await this.store.view({ internal: ref.candidateId }, ref);
    if (!snap.ok && snap.code === 'not_found' && (await this.hot.restore(ref)))
      snap = await this.store.view({ internal: ref.candidateId }, ref);
    return snap.ok ? snap : null;
  }

  /** Moves a try on by the clock, without a candidate (deadline jobs, the sweeper). */
  async enforceDeadline(ref: AttemptRef, opts: { record?: boolean } = {}): Promise<DeadlineOutcome> {
    const snap = await this.read(ref);
    if (!snap) return 'gone';
    const settled = await this.afterMove(ref, snap);
    // The sweeper found Postgres behind Redis (the finish job was lost): queue the record again.
    if (opts.record && !settled && snap.attempt.status === 'settled') await this.records.attemptFinished(ref);
    const status = (settled ?? snap).attempt.status;
    return status === 'settled' ? 'settled' : status === 'closed' ? 'waiting' : 'running';
  }

  /** After the clock or a submit moved a try: schedule the next deadline, or settle. */
  async afterMove(ref: AttemptRef, snap: Snapshot | null): Promise<Snapshot | null> {
    if (snap && !snap.moved && snap.attempt.status !== 'closed') return null;
    snap ??= await this.read(ref);
    if (!snap) return null;
    const a = snap.attempt;
    if (a.status === 'in_progress') {
      const endsAt = a.sections[a.current]!.endsAt ?? snap.now;
      await this.deadlines.scheduleDeadline(ref, a.current, endsAt - snap.now + this.opts.graceMs);
      return null;
    }
    if (a.status === 'closed') return this.settle(ref, snap);
    return null;
  }

  /** Scores a closed try, records the outcome in Redis and queues the record for Postgres. */
  async settle(ref: AttemptRef, snap: Snapshot): Promise<Snapshot | null> {
    if (snap.attempt.status !== 'closed') return null;
    const score = await this.score(snap.paper, snap.answers);
    const reply = await this.store.settle(ref, {
      examId: snap.attempt.examId,
      score,
      graceMs: this.opts.graceMs,
      keepSec: this.opts.keepSec,
    });
    if (!reply.ok) {
      if (reply.code === 'grace') return null; // the deadline job comes back when the grace is over
      throw storeError(reply);
    }
    if (reply.settled === 'now') await this.records.attemptFinished(ref);
    return { ...snap, attempt: { ...snap.attempt, status: 'settled', result: score } };
  }

  /** Closes (and settles) a running try whose time is up. True when it no longer blocks a start. */
  async closeIfDue(ref: AttemptRef): Promise<boolean> {
    const result = await this.enforceDeadline(ref);
    // Neither Redis nor Postgres has it (Redis lost it before its first record): let the candidate go on.
    if (result === 'gone') await this.store.release(ref);
    return result === 'settled' || result === 'gone';
  }

  /** A try is scored against the bank versions it was drawn from, even when newer ones exist. */
  async score(paper: Paper, answers: StoredAnswers): Promise<AttemptScore> {
    const versions = new Map<string, BankVersion>();
    for (const s of paper.sections)
      versions.set(`${s.bankId}@${s.bankVersion}`, await this.bankVersion(s.bankId, s.bankVersion));
    return scoreAttempt(paper, answers, (bankId, version, itemId) =>
      versions.get(`${bankId}@${version}`)?.itemById.get(itemId),
    );
  }

  async bankVersion(bankId: string, version: number): Promise<BankVersion> {
    const v = this.banks.cached(bankId, version) ?? (await this.banks.get(bankId, version));
    if (!v) throw new Error(`bank ${bankId}@${version} of a paper is missing from Postgres`);
    return v;
  }
}

/** A script failure as the error a candidate sees. */
export function storeError(f: StoreFailure): AppError {
  const subject = f.subject;
  switch (f.code) {
    case 'nosession':
      return new AppError('unauthenticated');
    case 'section_not_started':
      return new AppError('conflict', '该部分尚未开始 (that section has not started)');
    case 'rate_limited':
      return new AppError('rate_limited', '保存过于频繁，请稍后再试 (too many answer changes for this try)', {
        retryAfterSec: Math.max(1, Math.ceil(Number(subject ?? 1000) / 1000)),
      });
    case 'attempt_in_progress':
      return new AppError('attempt_in_progress', undefined, subject ? { attemptId: subject } : undefined);
    case 'not_found':
    case 'question_not_in_section':
    case 'section_closed':
    case 'invalid_choice':
    case 'attempt_not_finished':
    case 'already_passed':
    case 'attempt_cap_reached':
    case 'window_closed':
    case 'specialty_not_online':
      return new AppError(
        f.code,
        subject ? `题目 ${subject}` : undefined,
        subject ? { questionId: subject } : undefined,
      );
    default:
      return new AppError('internal_error', `unexpected script reply ${f.code}`);
  }
}
