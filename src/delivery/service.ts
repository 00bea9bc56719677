// Delivery: the candidate's use cases — who am I, start, view, save, submit, result. Each request is
// one attempt-store script (session check included) plus in-memory bank reads; Postgres is touched
// only on slow paths (a session or a candidate Redis does not know, a try Redis lost).
import { and, eq } from 'drizzle-orm';
import { customAlphabet } from 'nanoid';
import type { BankStore } from '../banks/store.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { maskIdNumber } from '../candidates/id-number.js';
import type { CandidateService } from '../candidates/service.js';
import type { Cycle, CycleService } from '../cycles/service.js';
import type { Db } from '../db/client.js';
import { attempts } from '../db/schema.js';
import { AppError } from '../errors.js';
import { drawPaper } from '../papers/draw.js';
import { examsFor, type Exam, type Level, type Procedure } from '../policy/schema.js';
import type { AttemptScore } from '../scoring/score.js';
import type { HotStateLoader } from './hot-state.js';
import { renderAttempt, renderResult } from './render.js';
import type { AttemptView, ExamStatus, MeView, ResultView, SaveReply } from './schemas.js';
import { storeError, type Settlement } from './settlement.js';
import type { AttemptRef, AttemptStore, CandidateAuth, Snapshot, StoreFailure } from './store/attempts.js';
import { startingAttempt } from './store/codecs.js';

export type { CandidateAuth } from './store/attempts.js';

export const newAttemptId = customAlphabet('0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz', 16);
const newSeed = customAlphabet('0123456789abcdef', 32);
/** A letter a candidate can choose: A-H, or T/F for true/false. */
const CHOICE = /^[A-HTF]$/;

export interface DeliveryOptions {
  graceMs: number;
}

export class DeliveryService {
  constructor(
    private readonly store: AttemptStore,
    private readonly settlement: Settlement,
    private readonly hot: HotStateLoader,
    private readonly sessions: Pick<CandidateService, 'restoreSession'>,
    private readonly db: Db,
    private readonly banks: BankStore,
    private readonly cycles: CycleService,
    private readonly catalogue: Catalogue,
    private readonly opts: DeliveryOptions,
  ) {}

  async me(auth: CandidateAuth): Promise<MeView> {
    const ctx = await this.context(auth);
    const cycle = this.cycleOf(ctx.profile);
    const exams = examsFor(cycle.policy, ctx.profile.procedure as Procedure).map((exam) => examStatus(exam, ctx.state));
    const main = exams.find((e) => e.outcome !== 'passed') ?? exams[0];
    return {
      candidate: {
        name: ctx.profile.name ?? '',
        idNumber: maskIdNumber(ctx.profile.idNumber ?? ''),
        specialty: ctx.profile.specialty ?? null,
        specialtyName: this.catalogue.byCode.get(ctx.profile.specialty ?? '')?.name ?? null,
        level: ctx.profile.level ?? null,
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

  async start(auth: CandidateAuth, examId?: string): Promise<AttemptView> {
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
      const active = ctx.state.active;
      if (active && (await this.settlement.closeIfDue({ candidateId: auth.candidateId, attemptId: active }))) continue;

      // Checks in Node first, for the right error when several apply; the script re-checks atomically.
      const used = Number(ctx.state[`used:${exam.id}`] ?? 0);
      if (ctx.state[`passed:${exam.id}`] === '1') throw new AppError('already_passed');
      if (active) throw new AppError('attempt_in_progress', undefined, { attemptId: active });
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
      const paper = drawPaper({
        exam,
        policyId: cycle.policyId,
        level: (ctx.profile.level ?? 'physician') as Level,
        specialty: ctx.profile.specialty ?? '',
        seen: (bankId) => new Set((ctx.state[`seen:${bankId}`] ?? '').split(' ').filter(Boolean)),
        seed: newSeed(),
        latest: (bankId) => this.banks.latest(bankId),
      });
      const reply = await this.store.start(auth, {
        examId: exam.id,
        maxAttempts: exam.maxAttempts,
        expectedUsed: used,
        opensAt: cycle.opensAt.getTime(),
        closesAt: cycle.closesAt.getTime(),
        online,
        attemptId,
        cycleId: cycle.cycleId,
        paper,
      });
      if (!reply.ok) {
        if (reply.code === 'retry' || reply.code === 'nostate') continue;
        throw storeError(reply);
      }
      const ref = { candidateId: auth.candidateId, attemptId };
      const attempt = startingAttempt({ paper, number: reply.number, cycleId: cycle.cycleId, startedAt: reply.now });
      const snap: Snapshot = { ok: true, now: reply.now, moved: true, attempt, answers: {}, paper };
      await this.settlement.afterMove(ref, snap); // schedules the first deadline
      return this.render(attemptId, snap);
    }
    throw new AppError('conflict', '开始考试的请求冲突，请重试 (concurrent start; try again)');
  }

  async view(auth: CandidateAuth, attemptId: string): Promise<AttemptView> {
    const ref = { candidateId: auth.candidateId, attemptId };
    const snap = await this.read(auth, ref, () => this.store.view({ auth }, ref));
    await this.settlement.afterMove(ref, snap);
    return this.render(attemptId, snap);
  }

  async save(auth: CandidateAuth, attemptId: string, answers: Record<string, unknown>): Promise<SaveReply> {
    const ref = { candidateId: auth.candidateId, attemptId };
    const entries = Object.entries(answers);
    if (entries.length < 1 || entries.length > 200)
      throw new AppError('validation_failed', 'answers: 每次提交 1 至 200 题 (send 1 to 200 answers)');
    const pairs: [string, string][] = [];
    for (const [questionId, letters] of entries) {
      if (!Array.isArray(letters) || letters.length > 8 || !letters.every((l) => typeof l === 'string'))
        throw new AppError('validation_failed', `answers.${questionId}: 应为选项字母的数组 (a list of letters)`);
      // One letter per element (["AB"] is not two choices); the script checks the rest atomically.
      if (!letters.every((l) => CHOICE.test(l)))
        throw new AppError('invalid_choice', `题目 ${questionId}`, { questionId });
      pairs.push([questionId, letters.join('')]);
    }
    const save = () => this.authed(auth, () => this.store.save(auth, ref, pairs, this.opts.graceMs));
    let reply = await save();
    // A try Redis lost is put back from its checkpoint first, as for a read: a client whose first
    // request after the loss is a save must not be told its try does not exist.
    if (!reply.ok && reply.code === 'not_found' && (await this.hot.restore(ref))) reply = await save();
    if (!reply.ok) throw storeError(reply);
    if (reply.moved) await this.settlement.afterMove(ref, null);
    return { saved: reply.saved, serverTime: new Date(reply.now).toISOString() };
  }

  async submit(auth: CandidateAuth, attemptId: string, sectionId: string): Promise<AttemptView> {
    const ref = { candidateId: auth.candidateId, attemptId };
    const snap = await this.read(auth, ref, () => this.store.submit({ auth }, ref, sectionId));
    const settled = await this.settlement.afterMove(ref, snap);
    return this.render(attemptId, settled ?? snap);
  }

  async result(auth: CandidateAuth, attemptId: string): Promise<ResultView> {
    const ref = { candidateId: auth.candidateId, attemptId };
    let snap: Snapshot;
    try {
      snap = await this.read(auth, ref, () => this.store.view({ auth }, ref));
    } catch (e) {
      // Settled tries leave Redis after a while; the record answers then.
      if (e instanceof AppError && e.code === 'not_found') return this.resultFromRecord(ref);
      throw e;
    }
    if (snap.attempt.status === 'closed') snap = (await this.settlement.settle(ref, snap)) ?? snap;
    if (snap.attempt.status !== 'settled' || !snap.attempt.result) {
      const retry = snap.attempt.status === 'closed' ? Math.ceil(this.opts.graceMs / 1000) : undefined;
      throw new AppError(
        'attempt_not_finished',
        '考试尚未结束 (the attempt is not finished)',
        retry ? { retryAfterSec: retry } : undefined,
      );
    }
    return renderResult(attemptId, snap.attempt.result);
  }

  // ---------------------------------------------------------------- helpers

  private async resultFromRecord(ref: AttemptRef): Promise<ResultView> {
    const [row] = await this.db
      .select({ scores: attempts.scores, status: attempts.status })
      .from(attempts)
      .where(and(eq(attempts.attemptId, ref.attemptId), eq(attempts.candidateId, ref.candidateId)));
    if (!row) throw new AppError('not_found');
    if (row.status !== 'finished' || !row.scores) throw new AppError('attempt_not_finished');
    return renderResult(ref.attemptId, row.scores as AttemptScore);
  }

  /** Runs a candidate script; a session Redis does not know is looked up in Postgres once. */
  private async authed<T extends { ok: boolean }>(auth: CandidateAuth, run: () => Promise<T | StoreFailure>) {
    let reply = await run();
    if (!reply.ok && (reply as StoreFailure).code === 'nosession') {
      if (!(await this.sessions.restoreSession(auth.candidateId, auth.tokenHash)))
        throw new AppError('unauthenticated');
      reply = await run();
    }
    return reply;
  }

  /** A candidate's read of a try; a try Redis lost is put back from its checkpoint first. */
  private async read(
    auth: CandidateAuth,
    ref: AttemptRef,
    run: () => Promise<Snapshot | StoreFailure>,
  ): Promise<Snapshot> {
    let reply = await this.authed(auth, run);
    if (!reply.ok && reply.code === 'not_found' && (await this.hot.restore(ref))) reply = await this.authed(auth, run);
    if (!reply.ok) throw storeError(reply);
    return reply;
  }

  /** Profile and hot state of a candidate, rebuilt from Postgres when Redis does not have them. */
  private async context(auth: CandidateAuth) {
    for (let i = 0; i < 2; i++) {
      const reply = await this.authed(auth, () => this.store.prepare(auth));
      if (reply.ok) return reply;
      if (reply.code !== 'nostate') throw storeError(reply);
      await this.hot.hydrate(auth.candidateId);
    }
    throw new AppError('unavailable', '无法载入考生状态 (could not load the candidate state)');
  }

  private cycleOf(profile: Record<string, string>): Cycle {
    const cycle = this.cycles.get(profile.cycle ?? '');
    if (!cycle) throw new AppError('not_found', '考核周期不存在 (the cycle no longer exists)');
    return cycle;
  }

  private async render(attemptId: string, snap: Snapshot): Promise<AttemptView> {
    const versions = await Promise.all(
      snap.paper.sections.map((s) => this.settlement.bankVersion(s.bankId, s.bankVersion)),
    );
    return renderAttempt(attemptId, snap, (i) => versions[i]!);
  }
}

function examStatus(exam: Exam, state: Record<string, string>): ExamStatus {
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
