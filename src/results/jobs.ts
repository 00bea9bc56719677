// The record path: BullMQ carries every write to Postgres. Job ids are the natural keys (no ":"),
// so a job added twice runs once, and a job that runs twice writes the same.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Db } from '../db/client.js';
import { JOB_KEEP } from '../delivery/deadlines.js';
import type { AttemptRecords } from '../delivery/settlement.js';
import type { AttemptRef, AttemptStore } from '../delivery/store/attempts.js';
import type { Log } from '../log.js';
import { queuePrefix, type Keys } from '../redis/keys.js';
import { checkpoint } from './checkpoint.js';
import { recordFinished } from './records.js';

export const RECORDS_QUEUE = 'records';

type RecordJob = { name: 'finished'; data: AttemptRef } | { name: 'checkpoint'; data: { items: AttemptRef[] } };

const RETRY = { attempts: 8, backoff: { type: 'exponential' as const, delay: 500 } };

export class RecordQueue implements AttemptRecords {
  readonly queue: Queue;
  private checkpointSeq = 0;
  private readonly processTag = `${process.pid}-${Date.now().toString(36)}`;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.queue = new Queue(RECORDS_QUEUE, { connection, prefix: queuePrefix(keys, RECORDS_QUEUE) });
  }

  async attemptFinished(ref: AttemptRef) {
    await this.queue.add('finished', ref, { jobId: `finished-${ref.attemptId}`, ...JOB_KEEP, ...RETRY });
  }

  async checkpoint(items: AttemptRef[]) {
    if (!items.length) return;
    const jobId = `checkpoint-${this.processTag}-${++this.checkpointSeq}`;
    await this.queue.add(
      'checkpoint',
      { items },
      { jobId, ...JOB_KEEP, attempts: 3, backoff: { type: 'fixed', delay: 1000 } },
    );
  }

  close() {
    return this.queue.close();
  }
}

/**
 * Every `everyMs`, queues a checkpoint of the tries this process changed. `flush` sends what is
 * left (at shutdown).
 */
export function startCheckpointTimer(store: AttemptStore, records: RecordQueue, everyMs: number, log: Log) {
  const flush = () => records.checkpoint(store.takeDirty());
  const timer = setInterval(() => {
    flush().catch((e: Error) => log('checkpoint enqueue failed', { error: e.message }, 'warn'));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}

export interface RecordWorkerDeps {
  connection: ConnectionOptions;
  keys: Keys;
  db: Db;
  store: AttemptStore;
  concurrency: number;
}

/** The record worker; closing it waits for the jobs it holds (graceful shutdown). */
export function startRecordWorker(d: RecordWorkerDeps): Worker {
  return new Worker(
    RECORDS_QUEUE,
    async (job: Job) => {
      const j = { name: job.name, data: job.data } as RecordJob;
      if (j.name === 'finished') {
        const record = await d.store.finishedRecord(j.data);
        if (record === 'not_settled') throw new Error(`attempt ${j.data.attemptId} is not settled yet; retrying`);
        return record ? recordFinished(d.db, record) : 'gone';
      }
      if (j.name === 'checkpoint') return checkpoint(d, j.data.items);
      throw new Error(`unknown record job ${job.name}`);
    },
    { connection: d.connection, prefix: queuePrefix(d.keys, RECORDS_QUEUE), concurrency: Math.min(d.concurrency, 20) },
  );
}
