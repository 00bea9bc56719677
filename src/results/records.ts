// Idempotent writes of the record, keyed by the attempt id: a job that runs twice writes the same row.
import { and, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { attempts } from '../db/schema.js';
import type { FinishedRecord, StartedRecord } from '../delivery/service.js';

/** The columns a try has from its start on. */
const startedRow = (r: StartedRecord) => ({
  attemptId: r.attemptId,
  candidateId: r.candidateId,
  cycleId: r.cycleId,
  examId: r.examId,
  number: r.number,
  seed: r.seed,
  bankVersions: r.bankVersions,
  paper: r.paper,
  startedAt: new Date(r.startedAt),
});

export async function recordStarted(db: Db, r: StartedRecord): Promise<void> {
  await db
    .insert(attempts)
    .values({ ...startedRow(r), status: 'in_progress' })
    // Already there (a retry, or the finish was written first): nothing to do.
    .onConflictDoNothing();
}

export async function recordFinished(db: Db, r: FinishedRecord): Promise<void> {
  const finished = {
    status: 'finished' as const,
    answers: r.answers,
    sections: r.sections,
    events: r.events,
    scores: r.score,
    score: r.score.score,
    maxScore: r.score.maxScore,
    passed: r.score.passed,
    finishedAt: new Date(r.finishedAt),
    checkpoint: null,
    checkpointAt: Number.MAX_SAFE_INTEGER,
    updatedAt: new Date(),
  };
  await db
    .insert(attempts)
    .values({ ...startedRow(r), ...finished })
    .onConflictDoUpdate({ target: attempts.attemptId, set: finished });
}

export interface Checkpoint {
  attemptId: string;
  answers: Record<string, string>;
  state: Record<string, string>;
  /** Redis time of the read, so that an older checkpoint never overwrites a newer one. */
  at: number;
}

export async function recordCheckpoint(db: Db, c: Checkpoint): Promise<void> {
  await db
    .update(attempts)
    .set({ answers: c.answers, checkpoint: c.state, checkpointAt: c.at, updatedAt: new Date() })
    .where(and(eq(attempts.attemptId, c.attemptId), eq(attempts.status, 'in_progress'), lt(attempts.checkpointAt, c.at)));
}

/** Tries Postgres still holds as in progress although their time must be up (sweeper input). */
export async function overdueAttempts(db: Db, graceMs: number, limit = 500) {
  return db
    .select({ attemptId: attempts.attemptId, candidateId: attempts.candidateId })
    .from(attempts)
    .where(
      and(
        eq(attempts.status, 'in_progress'),
        sql`${attempts.startedAt} + make_interval(secs => (
          select coalesce(sum((s->>'durationMs')::bigint), 0) from jsonb_array_elements(${attempts.paper}->'sections') s
        ) / 1000.0 + ${graceMs / 1000}) < now()`,
      ),
    )
    .limit(limit);
}
