// Idempotent writes of the record, keyed by the attempt id: a job that runs twice writes the same row.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client.js';
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

/**
 * First records of many tries in one statement, each with its first checkpoint. A row that is already
 * there (a retry, or the finish was written first) is left as it is.
 */
export async function recordStarted(db: Db, list: (StartedRecord & { checkpoint: Checkpoint })[]): Promise<void> {
  for (let i = 0; i < list.length; i += CHUNK) {
    const rows = JSON.stringify(
      list.slice(i, i + CHUNK).map((r) => ({
        attempt_id: r.attemptId, candidate_id: r.candidateId, cycle_id: r.cycleId, exam_id: r.examId, number: r.number, seed: r.seed,
        bank_versions: r.bankVersions, paper: r.paper, started_at: r.startedAt,
        answers: r.checkpoint.answers, checkpoint: r.checkpoint.state, checkpoint_at: r.checkpoint.at,
      })),
    );
    await db.execute(sql`
      insert into ${attempts} (attempt_id, candidate_id, cycle_id, exam_id, number, status, seed, bank_versions, paper, started_at, answers, checkpoint, checkpoint_at)
      select v.attempt_id, v.candidate_id, v.cycle_id, v.exam_id, v.number, 'in_progress', v.seed, v.bank_versions, v.paper,
             to_timestamp(v.started_at / 1000.0), v.answers, v.checkpoint, v.checkpoint_at
        from jsonb_to_recordset(${rows}::jsonb) as v(attempt_id text, candidate_id text, cycle_id text, exam_id text, number int, seed text,
             bank_versions jsonb, paper jsonb, started_at bigint, answers jsonb, checkpoint jsonb, checkpoint_at bigint)
      on conflict do nothing`);
  }
}

/** Rows per statement: keeps one statement's JSON to a few megabytes at the 08:00 rush. */
const CHUNK = 500;

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
  candidateId: string;
  attemptId: string;
  answers: Record<string, string>;
  state: Record<string, string>;
  /** Redis time of the read, so that an older checkpoint never overwrites a newer one. */
  at: number;
}

/**
 * Writes many checkpoints in one statement: at 20,000 tries in progress a row-by-row update would
 * be thousands of statements a second for the worker and Postgres. Returns the tries it updated.
 */
export async function recordCheckpoints(db: Db, list: Checkpoint[]): Promise<Set<string>> {
  const updated = new Set<string>();
  for (let i = 0; i < list.length; i += CHUNK) {
    const rows = JSON.stringify(list.slice(i, i + CHUNK).map((c) => ({ attempt_id: c.attemptId, answers: c.answers, checkpoint: c.state, at: c.at })));
    const result = await db.execute(sql`
      update ${attempts} as a
         set answers = v.answers, checkpoint = v.checkpoint, checkpoint_at = v.at, updated_at = now()
        from jsonb_to_recordset(${rows}::jsonb) as v(attempt_id text, answers jsonb, checkpoint jsonb, at bigint)
       where a.attempt_id = v.attempt_id and a.status = 'in_progress' and a.checkpoint_at < v.at
      returning a.attempt_id`);
    for (const r of rowsOf<{ attempt_id: string }>(result)) updated.add(r.attempt_id);
  }
  return updated;
}

/** Of these tries, the ones Postgres has no row for. */
export async function missingAttempts(db: Db, attemptIds: string[]): Promise<Set<string>> {
  if (!attemptIds.length) return new Set();
  const found = await db.select({ attemptId: attempts.attemptId }).from(attempts).where(inArray(attempts.attemptId, attemptIds));
  const present = new Set(found.map((r) => r.attemptId));
  return new Set(attemptIds.filter((id) => !present.has(id)));
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
