// The import worker: one import per worker thread, started by run.ts. It gets the file in
// workerData, runs the importer and posts back the result, or the limit that refused the file.
import { parentPort, workerData } from 'node:worker_threads';
import { isAppError } from '../../errors.js';
import { importBank } from './index.js';
import type { ImportFormat } from './types.js';

export interface ImportJob {
  format: ImportFormat;
  bytes: Uint8Array;
  bankId: string;
}

const job = workerData as ImportJob;
try {
  const result = await importBank(job.format, job.bytes, { bankId: job.bankId });
  parentPort!.postMessage({ ok: true, result });
} catch (e) {
  if (isAppError(e)) parentPort!.postMessage({ ok: false, code: e.code, detail: e.detail });
  else throw e; // a bug: the worker's error event reports it
}
