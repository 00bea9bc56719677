// Deadlines are the server's: a BullMQ delayed job per running section closes it when its time is
// up, even if the client has gone, and a sweeper closes tries whose job was lost. Job ids are the
// natural keys (no ":"), so a job added twice runs once.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { attempts } from '../db/schema.js';
import { queuePrefix, type Keys } from '../redis/keys.js';
import type { DeadlineScheduler, Settlement } from './settlement.js';
import type { AttemptRef } from './store/attempts.js';

export const DEADLINES_QUEUE = 'deadlines';

export const JOB_KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
const RETRY = { attempts: 8, backoff: { type: 'exponential' as const, delay: 500 } };

export class DeadlineQueue implements DeadlineScheduler {
  readonly queue: Queue;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.queue = new Queue(DEADLINES_QUEUE, { connection, prefix: queuePrefix(keys, DEADLINES_QUEUE) });
  }

  async scheduleDeadline(ref: AttemptRef, section: number, delayMs: number) {
    await this.queue.add(
      'deadline',
      { ...ref, section },
      { jobId: deadlineJobId(ref.attemptId, section), delay: Math.max(0, Math.ceil(delayMs)), ...JOB_KEEP, ...RETRY },
    );
  }

  /** The backstop: one sweep at a time across all workers, however many there are. */
  async scheduleSweep(everyMs: number) {
    await this.queue.upsertJobScheduler('sweep', { every: everyMs }, { name: 'sweep', opts: { ...JOB_KEEP } });
  }

  /**
   * Schedules the sweep again when Redis no longer has it: a Redis that lost its data (restarted
   * without persistence) lost the scheduler with the deadline jobs, which is when the sweep is needed.
   */
  async ensureSweep(everyMs: number) {
    if (!(await this.queue.getJobScheduler('sweep'))) await this.scheduleSweep(everyMs);
  }

  close() {
    return this.queue.close();
  }
}

export const deadlineJobId = (attemptId: string, section: number) => `deadline-${attemptId}-${section}`;

export interface DeadlineWorkerDeps {
  connection: ConnectionOptions;
  keys: Keys;
  db: Db;
  settlement: Settlement;
  graceMs: number;
  concurrency: number;
}

/** The deadline worker; closing it waits for the jobs it holds (graceful shutdown). */
export function startDeadlineWorker(d: DeadlineWorkerDeps): Worker {
  return new Worker(
    DEADLINES_QUEUE,
    async (job: Job) => {
      if (job.name === 'sweep') return sweep(d);
      const { candidateId, attemptId } = job.data as AttemptRef;
      const outcome = await d.settlement.enforceDeadline({ candidateId, attemptId });
      // Closed but still inside the grace for answers in flight: try again shortly (BullMQ backoff).
      if (outcome === 'waiting') throw new Error(`attempt ${attemptId} is inside its answer grace; retrying`);
      return outcome;
    },
    { connection: d.connection, prefix: queuePrefix(d.keys, DEADLINES_QUEUE), concurrency: d.concurrency },
  );
}

/** Tries whose deadline job was lost (or whose Redis state was): close and record them. */
async function sweep(d: DeadlineWorkerDeps) {
  const overdue = await overdueAttempts(d.db, d.graceMs);
  let closed = 0;
  for (const ref of overdue) if ((await d.settlement.enforceDeadline(ref, { record: true })) === 'settled') closed++;
  return { overdue: overdue.length, closed };
}

/** Tries Postgres still holds as in progress although their time must be up. */
export async function overdueAttempts(db: Db, graceMs: number, limit = 500): Promise<AttemptRef[]> {
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
