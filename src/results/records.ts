// Idempotent writes of the record, keyed by the attempt id: a job that runs twice writes the same row.
import { and, eq, sql } from 'drizzle-orm';
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

/**
 * Writes many checkpoints in one statement: at 20,000 tries in progress a row-by-row update would
 * be thousands of statements a second for the worker and Postgres.
 */
export async function recordCheckpoints(db: Db, list: Checkpoint[]): Promise<void> {
  if (!list.length) return;
  const rows = JSON.stringify(list.map((c) => ({ attempt_id: c.attemptId, answers: c.answers, checkpoint: c.state, at: c.at })));
  await db.execute(sql`
    update ${attempts} as a
       set answers = v.answers, checkpoint = v.checkpoint, checkpoint_at = v.at, updated_at = now()
      from jsonb_to_recordset(${rows}::jsonb) as v(attempt_id text, answers jsonb, checkpoint jsonb, at bigint)
     where a.attempt_id = v.attempt_id and a.status = 'in_progress' and a.checkpoint_at < v.at`);
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
