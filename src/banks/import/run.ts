// Runs an import off the event loop that serves candidates: in a worker thread with its own heap
// limit and a wall clock, one import at a time per process. The worker is terminated when the wall
// clock runs out or its heap is exhausted; the process stays up and the admin gets a 422.
//
// The worker module is `worker.js` beside this file in dist/ (tsc), and `worker.ts` when running
// from source (tsx, vitest): a .ts worker is started from a small bootstrap that registers tsx's
// loader first (Node 20 does not hand a parent's loader hooks to a worker).
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../errors.js';
import { LIMITS } from './limits.js';
import type { ImportFormat, ImportResult } from './types.js';
import type { ImportJob } from './worker.js';

const fromSource = import.meta.url.endsWith('.ts');
const workerUrl = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);

/** Imports waiting for the worker; more than this are refused with 429. */
const MAX_WAITING = 8;

function startWorker(job: ImportJob, opts: { heapMb: number }): Worker {
  const options = {
    workerData: job,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: opts.heapMb, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
  };
  if (!fromSource) return new Worker(workerUrl, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(workerUrl.href)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), options);
}

type Reply = { ok: true; result: ImportResult } | { ok: false; code: ErrorCode; detail?: string };

const failed = (zh: string, en: string) => new AppError('import_failed', `${zh} (${en})`);

/** One import in a fresh worker; rejects with an AppError (413/422) when it is refused or fails. */
function runInWorker(job: ImportJob, opts: { timeoutMs: number; heapMb: number }): Promise<ImportResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(job, opts);
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
      void worker.terminate();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            failed(
              `导入超时：${opts.timeoutMs / 1000} 秒内未能读完文件，文件过大或结构过于复杂，请拆分后再导入`,
              `the import did not finish within ${opts.timeoutMs / 1000} s; split the file`,
            ),
          ),
        ),
      opts.timeoutMs,
    );
    worker.on('message', (m: Reply) =>
      settle(() => (m.ok ? resolve(m.result) : reject(new AppError(m.code, m.detail)))),
    );
    worker.on('error', (e: Error & { code?: string }) =>
      settle(() =>
        reject(
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? failed(
                `导入所需内存超过 ${opts.heapMb} MB 的上限，文件过大或结构过于复杂，请拆分后再导入`,
                `the import needed more than ${opts.heapMb} MB of memory; split the file`,
              )
            : failed(`文件无法导入：${e.message}`, `the file could not be imported: ${e.message}`),
        ),
      ),
    );
    worker.on('exit', (code) =>
      settle(() => reject(failed(`导入进程意外退出（${code}）`, `the import worker exited unexpectedly (${code})`))),
    );
  });
}

let queue: Promise<unknown> = Promise.resolve();
let waiting = 0;

/**
 * Imports a question-bank file in a worker thread (see the file comment), one at a time per process.
 * Resolves with the importer's result; rejects with AppError payload_too_large (413) or
 * import_failed (422) when a limit refuses the file, rate_limited (429) when too many imports wait.
 */
export function runImport(
  format: ImportFormat,
  bytes: Uint8Array,
  opts: { bankId: string; timeoutMs?: number; heapMb?: number },
): Promise<ImportResult> {
  if (waiting >= MAX_WAITING)
    return Promise.reject(
      new AppError('rate_limited', '正在进行的导入过多，请稍后再试 (too many imports waiting; try again later)', {
        retryAfterSec: 10,
      }),
    );
  waiting++;
  const job: ImportJob = { format, bytes, bankId: opts.bankId };
  const limits = { timeoutMs: opts.timeoutMs ?? LIMITS.wallClockMs, heapMb: opts.heapMb ?? LIMITS.workerHeapMb };
  const run = queue.then(() => runInWorker(job, limits));
  const done = run.finally(() => waiting--);
  queue = done.catch(() => undefined);
  return done;
}
