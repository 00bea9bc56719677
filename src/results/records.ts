// Idempotent writes of the record, keyed by the attempt id: a job that runs twice writes the same row.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { rowsOf, type Db } from '../db/client.js';
import { attempts } from '../db/schema.js';
import type { AttemptChanges, FinishedRecord, StartedRecord } from '../delivery/store/attempts.js';

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
/** (`list` holds changes that carry their `started` record.) */
export async function recordStarted(db: Db, list: AttemptChanges[]): Promise<void> {
  for (let i = 0; i < list.length; i += CHUNK) {
    const rows = JSON.stringify(
      list.slice(i, i + CHUNK).map(({ started: r, ...c }) => ({
        attempt_id: c.attemptId,
        candidate_id: c.candidateId,
        cycle_id: r!.cycleId,
        exam_id: r!.examId,
        number: r!.number,
        seed: r!.seed,
        bank_versions: r!.bankVersions,
        paper: r!.paper,
        started_at: r!.startedAt,
        answers: c.answers,
        checkpoint: c.state,
        checkpoint_at: c.at,
        checkpoint_log: c.to,
      })),
    );
    await db.execute(sql`
      insert into ${attempts} (attempt_id, candidate_id, cycle_id, exam_id, number, status, seed, bank_versions, paper, started_at, answers, checkpoint, checkpoint_at, checkpoint_log)
      select v.attempt_id, v.candidate_id, v.cycle_id, v.exam_id, v.number, 'in_progress', v.seed, v.bank_versions, v.paper,
             to_timestamp(v.started_at / 1000.0), v.answers, v.checkpoint, v.checkpoint_at, v.checkpoint_log
        from jsonb_to_recordset(${rows}::jsonb) as v(attempt_id text, candidate_id text, cycle_id text, exam_id text, number int, seed text,
             bank_versions jsonb, paper jsonb, started_at bigint, answers jsonb, checkpoint jsonb, checkpoint_at bigint, checkpoint_log int)
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

/** Log positions of the rows Postgres has, by attempt id: a try missing here has no row yet. */
export async function checkpointPositions(db: Db, attemptIds: string[]): Promise<Map<string, number>> {
  if (!attemptIds.length) return new Map();
  const rows = await db
    .select({ attemptId: attempts.attemptId, log: attempts.checkpointLog })
    .from(attempts)
    .where(inArray(attempts.attemptId, attemptIds));
  return new Map(rows.map((r) => [r.attemptId, r.log]));
}

/**
 * Writes many checkpoints in one statement: at 20,000 tries in progress a row-by-row update would
 * be thousands of statements a second for the worker and Postgres. A delta applies to a row whose
 * position lies in [from, to): replaying part of it again gives the same answers, and a row a newer
 * checkpoint has moved past is left alone. Returns how many rows it updated.
 */
export async function recordCheckpoints(db: Db, list: AttemptChanges[]): Promise<number> {
  let updated = 0;
  for (let i = 0; i < list.length; i += CHUNK) {
    const rows = JSON.stringify(
      list.slice(i, i + CHUNK).map((c) => ({
        attempt_id: c.attemptId,
        whole: c.whole,
        answers: c.answers,
        cleared: c.cleared,
        checkpoint: c.state,
        from_log: c.from,
        to_log: c.to,
        at: c.at,
      })),
    );
    const result = await db.execute(sql`
      update ${attempts} as a
         set answers = case when v.whole then v.answers else (a.answers || v.answers) - v.cleared end,
             checkpoint = coalesce(v.checkpoint, a.checkpoint),
             checkpoint_log = v.to_log, checkpoint_at = greatest(a.checkpoint_at, v.at), updated_at = now()
        from jsonb_to_recordset(${rows}::jsonb)
             as v(attempt_id text, whole boolean, answers jsonb, cleared text[], checkpoint jsonb, from_log int, to_log int, at bigint)
       where a.attempt_id = v.attempt_id and a.status = 'in_progress'
         and case when v.whole then a.checkpoint_at < v.at else a.checkpoint_log >= v.from_log and a.checkpoint_log < v.to_log end
      returning a.attempt_id`);
    updated += rowsOf(result).length;
  }
  return updated;
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
