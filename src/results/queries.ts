// What admins read: results per candidate and whole attempts, from Postgres (the record).
import { asc, eq } from 'drizzle-orm';
import type { BankStore } from '../banks/store.js';
import type { CycleService } from '../cycles/service.js';
import type { Db } from '../db/client.js';
import { attempts, candidates } from '../db/schema.js';
import type { Paper } from '../papers/paper.js';
import { AppError } from '../errors.js';
import { examsFor, type Procedure } from '../policy/schema.js';
import type { AttemptScore } from '../scoring/score.js';
import { decodeLogEntry } from '../delivery/store/codecs.js';

export type Outcome = 'passed' | 'failed' | 'in_progress' | 'not_started';

export interface ResultRow {
  idNumber: string;
  name: string;
  specialty: string;
  level: string;
  triesUsed: number;
  maxTries: number;
  bestScore: number | null;
  bestSections: { id: string; score: number; maxScore: number; passed: boolean }[];
  outcome: Outcome;
  lastAttemptAt: string | null;
}

export async function cycleResults(db: Db, cycles: CycleService, cycleId: string): Promise<ResultRow[]> {
  const cycle = cycles.get(cycleId);
  if (!cycle) throw new AppError('not_found', `考核周期 ${cycleId} 不存在`);
  const people = await db
    .select()
    .from(candidates)
    .where(eq(candidates.cycleId, cycleId))
    .orderBy(asc(candidates.idNumber));
  const tries = await db
    .select({
      candidateId: attempts.candidateId,
      examId: attempts.examId,
      status: attempts.status,
      passed: attempts.passed,
      score: attempts.score,
      scores: attempts.scores,
      startedAt: attempts.startedAt,
    })
    .from(attempts)
    .where(eq(attempts.cycleId, cycleId));
  const byCandidate = new Map<string, typeof tries>();
  for (const t of tries) byCandidate.set(t.candidateId, [...(byCandidate.get(t.candidateId) ?? []), t]);

  return people.map((p) => {
    const mine = byCandidate.get(p.candidateId) ?? [];
    const exams = examsFor(cycle.policy, p.procedure as Procedure);
    // Each exam the registration sits must be passed; one exam out of tries without a pass fails it.
    const perExam = exams.map((e) => {
      const t = mine.filter((x) => x.examId === e.id);
      if (t.some((x) => x.passed)) return 'passed';
      if (t.some((x) => x.status === 'in_progress')) return 'in_progress';
      if (t.length >= e.maxAttempts) return 'failed';
      return t.length ? 'in_progress' : 'not_started';
    });
    const outcome: Outcome = perExam.includes('failed')
      ? 'failed'
      : perExam.every((o) => o === 'passed')
        ? 'passed'
        : perExam.every((o) => o === 'not_started')
          ? 'not_started'
          : 'in_progress';
    const finished = mine.filter((x) => x.status === 'finished' && x.scores);
    const best = finished.sort((a, b) => Number(b.passed) - Number(a.passed) || (b.score ?? 0) - (a.score ?? 0))[0];
    const bestScores = best?.scores as AttemptScore | undefined;
    return {
      idNumber: p.idNumber,
      name: p.name,
      specialty: p.specialty,
      level: p.level,
      triesUsed: mine.length,
      maxTries: exams.reduce((t, e) => t + e.maxAttempts, 0),
      bestScore: best?.score ?? null,
      bestSections: bestScores
        ? bestScores.sections.map((s) => ({ id: s.id, score: s.score, maxScore: s.maxScore, passed: s.passed }))
        : [],
      outcome,
      lastAttemptAt: mine.length ? new Date(Math.max(...mine.map((m) => m.startedAt.getTime()))).toISOString() : null,
    };
  });
}

/** The whole attempt for an admin: paper with stems, answers, correct keys, scores, timeline, history. */
export async function attemptRecord(db: Db, banks: BankStore, attemptId: string) {
  const [r] = await db.select().from(attempts).where(eq(attempts.attemptId, attemptId));
  if (!r) throw new AppError('not_found', `考试记录 ${attemptId} 不存在`);
  const paper = r.paper as Paper;
  const answers = r.answers ?? {};
  // Own keys only: a question id may be "constructor".
  const answerOf = (id: string) => (Object.hasOwn(answers, id) ? [...answers[id]!] : []);
  const sections = await Promise.all(
    paper.sections.map(async (s) => {
      const bank = await banks.get(s.bankId, s.bankVersion);
      return {
        id: s.id,
        title: s.title,
        bankId: s.bankId,
        bankVersion: s.bankVersion,
        passMark: s.passMark,
        questions: s.units.flatMap((u) =>
          u.items.map((d) => {
            const item = bank?.itemById.get(d.id);
            return {
              id: d.id,
              group: u.kind === 'item' ? null : u.id,
              type: d.type,
              stem: item?.stem ?? null,
              optionOrder: d.order,
              correct: item?.answer ?? null,
              answer: answerOf(d.id),
              points: item?.points ?? null,
            };
          }),
        ),
      };
    }),
  );
  return {
    attemptId: r.attemptId,
    candidateId: r.candidateId,
    cycleId: r.cycleId,
    examId: r.examId,
    number: r.number,
    status: r.status,
    seed: r.seed,
    bankVersions: r.bankVersions,
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    score: r.score,
    maxScore: r.maxScore,
    passed: r.passed,
    scores: r.scores,
    timeline: r.sections,
    // The try's history, decoded: readable whatever layout version wrote it.
    events: (r.events ?? []).map(decodeLogEntry),
    paper: { sections },
  };
}
