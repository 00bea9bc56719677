// The record path: BullMQ carries every write to Postgres. Job ids are the natural keys (no ":"),
// so a job added twice runs once, and a job that runs twice writes the same.
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Db } from '../db/client.js';
import { JOB_KEEP } from '../delivery/deadlines.js';
import type { AttemptRecords } from '../delivery/settlement.js';
import type { AttemptRef, AttemptStore } from '../delivery/store/attempts.js';
import type { Log } from '../log.js';
import { CHECKPOINT_BUCKETS, queuePrefix, type Keys } from '../redis/keys.js';
import { checkpoint } from './checkpoint.js';
import { recordFinished } from './records.js';

export const RECORDS_QUEUE = 'records';

type RecordJob = { name: 'finished'; data: AttemptRef };

const RETRY = { attempts: 8, backoff: { type: 'exponential' as const, delay: 500 } };

export class RecordQueue implements AttemptRecords {
  readonly queue: Queue;

  constructor(connection: ConnectionOptions, keys: Keys) {
    this.queue = new Queue(RECORDS_QUEUE, { connection, prefix: queuePrefix(keys, RECORDS_QUEUE) });
  }

  async attemptFinished(ref: AttemptRef) {
    await this.queue.add('finished', ref, { jobId: `finished-${ref.attemptId}`, ...JOB_KEEP, ...RETRY });
  }

  close() {
    return this.queue.close();
  }
}

/** Tries one claim takes from a bucket: bounds one checkpoint's statements and memory. */
const CLAIM_MAX = 500;
/** A claim a worker has not acknowledged within this long is taken by another. */
const CLAIM_VISIBILITY_MS = 60_000;

/**
 * The checkpointer (worker role): twice every `everyMs` it drains the tries marked in Redis — by any API
 * process, at the moment each change was acknowledged — bucket by bucket, writes their changes to
 * Postgres and acknowledges the marks. Several workers share the marks; a worker that dies leaves
 * its claims to the others after CLAIM_VISIBILITY_MS. At start-up, and every `sweepEveryMs`, it
 * marks every try Redis holds: the backstop for marks that were lost.
 */
export function startCheckpointer(d: { store: AttemptStore; db: Db; everyMs: number; sweepEveryMs: number; log: Log }) {
  let running: Promise<void> | null = null;
  let lastSweep = 0;
  let stopped = false;
  const round = async () => {
    if (Date.now() - lastSweep >= d.sweepEveryMs) {
      lastSweep = Date.now();
      await d.store.markAllForCheckpoint();
    }
    for (let bucket = 0; bucket < CHECKPOINT_BUCKETS && !stopped; bucket++) {
      for (;;) {
        const refs = await d.store.claimForCheckpoint(bucket, CLAIM_MAX, CLAIM_VISIBILITY_MS);
        if (!refs.length) break;
        await checkpoint(d, refs);
        await d.store.ackCheckpoint(bucket, refs);
        if (refs.length < CLAIM_MAX) break;
      }
    }
  };
  const tick = () => {
    if (running) return running; // the last round is still writing
    running = round()
      .catch((e: Error) => d.log('checkpoint failed', { error: e.message }, 'warn'))
      .finally(() => (running = null));
    return running;
  };
  // `everyMs` bounds how long an acknowledged change waits before a round reads it from Redis. A
  // change marked just after its bucket was claimed waits for the next round, and that round reads
  // Redis only after a Postgres query: rounds twice per `everyMs` keep both within the bound.
  const timer = setInterval(() => void tick(), Math.max(50, Math.floor(d.everyMs / 2)));
  timer.unref();
  void tick();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
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
      throw new Error(`unknown record job ${job.name}`);
    },
    { connection: d.connection, prefix: queuePrefix(d.keys, RECORDS_QUEUE), concurrency: Math.min(d.concurrency, 20) },
  );
}
