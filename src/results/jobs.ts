// BullMQ carries everything that is written to Postgres and every deadline. Job ids are the
// natural keys (no ":"), so a job added twice runs once, and a job that runs twice writes the same.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Db } from '../db/client.js';
import type { AttemptRef, DeliveryJobs, DeliveryService } from '../delivery/service.js';
import type { Keys } from '../redis/keys.js';
import { checkpoint, defineCheckpointScript } from './checkpoint.js';
import { overdueAttempts, recordFinished } from './records.js';

export const QUEUES = { deadlines: 'deadlines', records: 'records' } as const;

type RecordJob = { name: 'finished'; data: AttemptRef } | { name: 'checkpoint'; data: { items: AttemptRef[] } };

const KEEP = { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } };
const RETRY = { attempts: 8, backoff: { type: 'exponential' as const, delay: 500 } };

/** Each queue has its own hash tag, so its keys share a slot on a Redis Cluster. */
export const queuePrefix = (keys: Keys, queue: string) => `${keys.prefix}{dk-${queue}}`;

export class JobQueues implements DeliveryJobs {
  readonly deadlines: Queue;
  readonly records: Queue;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.deadlines = new Queue(QUEUES.deadlines, { connection, prefix: queuePrefix(keys, QUEUES.deadlines) });
    this.records = new Queue(QUEUES.records, { connection, prefix: queuePrefix(keys, QUEUES.records) });
  }

  async scheduleDeadline(candidateId: string, attemptId: string, section: number, delayMs: number) {
    await this.deadlines.add(
      'deadline',
      { candidateId, attemptId, section },
      { jobId: `deadline-${attemptId}-${section}`, delay: Math.max(0, Math.ceil(delayMs)), ...KEEP, ...RETRY },
    );
  }

  async attemptFinished(ref: AttemptRef) {
    await this.records.add('finished', ref, { jobId: `finished-${ref.attemptId}`, ...KEEP, ...RETRY });
  }

  private checkpointSeq = 0;
  private readonly processTag = `${process.pid}-${Date.now().toString(36)}`;
  async checkpoint(items: AttemptRef[]) {
    if (!items.length) return;
    const jobId = `checkpoint-${this.processTag}-${++this.checkpointSeq}`;
    await this.records.add(
      'checkpoint',
      { items },
      { jobId, ...KEEP, attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
    );
  }

  /** The backstop: one sweep at a time across all workers, however many there are. */
  async scheduleSweep(everyMs: number) {
    await this.deadlines.upsertJobScheduler('sweep', { every: everyMs }, { name: 'sweep', opts: { ...KEEP } });
  }

  async close() {
    await Promise.all([this.deadlines.close(), this.records.close()]);
  }
}

export interface WorkerDeps {
  connection: ConnectionOptions;
  keys: Keys;
  db: Db;
  redis: Redis;
  delivery: DeliveryService;
  graceMs: number;
  concurrency: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Workers for both queues. Closing them waits for the jobs they hold (graceful shutdown). */
export function startWorkers(d: WorkerDeps): { close(): Promise<void> } {
  defineCheckpointScript(d.redis);
  const deadlines = new Worker(
    QUEUES.deadlines,
    async (job: Job) => {
      if (job.name === 'sweep') return sweep(d);
      const { candidateId, attemptId } = job.data as { candidateId: string; attemptId: string };
      const outcome = await d.delivery.enforceDeadline(candidateId, attemptId);
      // Closed but still inside the grace for answers in flight: try again shortly (BullMQ backoff).
      if (outcome === 'waiting') throw new Error(`attempt ${attemptId} is inside its answer grace; retrying`);
      return outcome;
    },
    { connection: d.connection, prefix: queuePrefix(d.keys, QUEUES.deadlines), concurrency: d.concurrency },
  );
  const records = new Worker(
    QUEUES.records,
    async (job: Job) => {
      const j = { name: job.name, data: job.data } as RecordJob;
      if (j.name === 'finished') {
        const record = await d.delivery.finishedRecord(j.data.candidateId, j.data.attemptId);
        if (record === 'not_settled') throw new Error(`attempt ${j.data.attemptId} is not settled yet; retrying`);
        return record ? recordFinished(d.db, record) : 'gone';
      }
      if (j.name === 'checkpoint') return checkpoint(d, j.data.items);
      throw new Error(`unknown record job ${job.name}`);
    },
    { connection: d.connection, prefix: queuePrefix(d.keys, QUEUES.records), concurrency: Math.min(d.concurrency, 20) },
  );
  for (const w of [deadlines, records])
    w.on('failed', (job, err) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
        d.log('job failed for good', { queue: w.name, jobId: job.id, error: err.message });
    });
  return {
    close: async () => {
      await Promise.all([deadlines.close(), records.close()]);
    },
  };
}

/** Tries whose deadline job was lost (or whose Redis state was): close and record them. */
async function sweep(d: WorkerDeps) {
  const overdue = await overdueAttempts(d.db, d.graceMs);
  let closed = 0;
  for (const { candidateId, attemptId } of overdue) {
    const outcome = await d.delivery.enforceDeadline(candidateId, attemptId, { record: true });
    if (outcome === 'settled') closed++;
  }
  return { overdue: overdue.length, closed };
}
