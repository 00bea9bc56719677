// The engine wired together: config → db → redis → modules → app. main.ts runs it as a process;
// tests build one per run against their own database and Redis prefix.
import { randomBytes } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { fitCheck } from './papers/fit.js';
import { bankRoutes } from './banks/routes.js';
import { BankStore } from './banks/store.js';
import { loadCatalogue, type Catalogue } from './catalogue/catalogue.js';
import { catalogueRoutes } from './catalogue/routes.js';
import { authRoutes, logoutRoute, registrationRoutes } from './candidates/routes.js';
import { CandidateService } from './candidates/service.js';
import type { Config } from './config.js';
import { cycleRoutes } from './cycles/routes.js';
import { CycleService } from './cycles/service.js';
import { openDatabase, type Database } from './db/client.js';
import { attemptRoutes, meRoutes } from './delivery/routes.js';
import { DeadlineQueue, startDeadlineWorker } from './delivery/deadlines.js';
import { HotStateLoader } from './delivery/hot-state.js';
import { DeliveryService } from './delivery/service.js';
import { Settlement } from './delivery/settlement.js';
import { AttemptStore } from './delivery/store/attempts.js';
import { bodyLimits, onError, problem, requestContext } from './http/app.js';
import { adminAuth, candidateAuth } from './http/auth.js';
import { AppError } from './errors.js';
import { mountWebClient } from './http/static.js';
import type { AppEnv } from './http/env.js';
import type { Log } from './log.js';
import { loadBuiltinPolicies } from './policy/policies.js';
import { connectRedis } from './redis/client.js';
import { makeKeys, type Keys } from './redis/keys.js';
import { RecordQueue, startCheckpointer, startRecordWorker } from './results/jobs.js';
import { attemptRecordRoutes, cycleResultRoutes } from './results/routes.js';

export interface Engine {
  app: OpenAPIHono<AppEnv>;
  config: Config;
  adminToken: string;
  database: Database;
  redis: Redis;
  keys: Keys;
  catalogue: Catalogue;
  banks: BankStore;
  cycles: CycleService;
  candidates: CandidateService;
  attempts: AttemptStore;
  settlement: Settlement;
  delivery: DeliveryService;
  deadlines: DeadlineQueue;
  records: RecordQueue;
  /** Starts the BullMQ workers and the sweeper (ROLE worker or all). */
  startWorkers(): Promise<void>;
  /** Stops timers and workers, then closes queues and connections. */
  close(): Promise<void>;
}

const RELOAD_MS = 30_000;
const SESSION_PURGE_MS = 5 * 60_000;
const KEEP_SETTLED_SEC = 7 * 24 * 3600;

export async function createEngine(config: Config, log: Log): Promise<Engine> {
  const redis = await connectRedis(config.REDIS_URL);
  const database = await openDatabase({ url: config.DATABASE_URL, dataDir: config.DATA_DIR });
  const { db } = database;
  const keys = makeKeys(config.REDIS_PREFIX);
  const adminToken = config.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');

  const catalogue = loadCatalogue();
  const builtins = loadBuiltinPolicies();
  const announce = (what: string) => async () => void (await redis.publish(keys.events, what));
  const banks = new BankStore(db, (bankId) => announce(`bank:${bankId}`)());
  const cycles = new CycleService(db, builtins, (cycleId) => announce(`cycle:${cycleId}`)());
  await Promise.all([banks.refresh(), cycles.refresh()]);

  // Other processes announce new bank versions and cycle changes; a slow poll backs that up.
  const subscriber = redis.duplicate();
  await subscriber.subscribe(keys.events);
  subscriber.on('message', (_channel, message: string) => {
    const [kind, id] = message.split(':');
    const job = kind === 'bank' ? banks.refresh(id) : kind === 'cycle' ? cycles.refresh(id) : null;
    job?.catch((e: Error) => log('reload failed', { message, error: e.message }, 'warn'));
  });
  const reload = setInterval(() => {
    Promise.all([banks.refresh(), cycles.refresh()]).catch((e: Error) =>
      log('periodic reload failed', { error: e.message }, 'warn'),
    );
  }, RELOAD_MS);
  reload.unref();

  const bullConnection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  const deadlines = new DeadlineQueue(bullConnection, keys);
  const records = new RecordQueue(bullConnection, keys);
  // Built bottom-up: the store knows Redis; hot state and settlement use it; the service uses them all.
  const attempts = new AttemptStore(redis, keys);
  const hot = new HotStateLoader(db, attempts);
  const candidates = new CandidateService(db, redis, keys, catalogue, config.SESSION_TTL_SEC, hot, {
    maxFailuresPerAddress: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
    pepper: config.PASSWORD_PEPPER,
    hashConcurrency: config.PASSWORD_HASH_CONCURRENCY,
  });
  // Expired session rows go in bounded batches (a login also drops its candidate's own).
  const sessionPurge = candidates.startSessionPurge(SESSION_PURGE_MS, (e) =>
    log('session purge failed', { error: e.message }, 'warn'),
  );
  const settlement = new Settlement(attempts, hot, banks, deadlines, records, {
    graceMs: config.ANSWER_GRACE_MS,
    keepSec: KEEP_SETTLED_SEC,
  });
  const delivery = new DeliveryService(attempts, settlement, hot, candidates, db, banks, cycles, catalogue, {
    graceMs: config.ANSWER_GRACE_MS,
  });

  const app = new OpenAPIHono<AppEnv>();
  app.onError(onError(log));
  app.notFound((c) =>
    problem(c, new AppError('not_found', `没有这个地址 (no route for ${c.req.method} ${c.req.path})`)),
  );
  app.use('*', requestContext());
  app.use('/v1/*', bodyLimits());
  app.use('/v1/admin/*', adminAuth(adminToken));
  app.use('/v1/me', candidateAuth());
  app.use('/v1/attempts', candidateAuth());
  app.use('/v1/attempts/*', candidateAuth());
  app.use('/v1/auth/logout', candidateAuth());
  app.route('/v1/catalogue', catalogueRoutes(catalogue));
  app.route('/v1/admin/banks', bankRoutes(banks, fitCheck(cycles, catalogue)));
  app.route('/v1/admin/cycles', cycleRoutes(cycles));
  app.route('/v1/admin/cycles', registrationRoutes(candidates));
  app.route('/v1/admin/cycles', cycleResultRoutes(db, cycles));
  app.route('/v1/admin/attempts', attemptRecordRoutes(db, banks));
  app.route('/v1/auth', authRoutes(candidates, config.TRUST_PROXY));
  app.route('/v1/auth', logoutRoute(candidates));
  app.route('/v1/me', meRoutes(delivery));
  app.route('/v1/attempts', attemptRoutes(delivery));
  app.doc('/v1/openapi.json', {
    openapi: '3.0.3',
    info: { title: '定考 online exam delivery engine', version: '1', description: 'Public contract: DESIGN §4' },
  });
  app.get('/healthz', (c) => c.json({ ok: true }));
  mountWebClient(app);

  let workers: { close(): Promise<unknown> }[] = [];
  let checkpointer: { stop(): Promise<void> } | null = null;
  let sweepGuard: NodeJS.Timeout | undefined;
  return {
    app,
    config,
    adminToken,
    database,
    redis,
    keys,
    catalogue,
    banks,
    cycles,
    candidates,
    attempts,
    settlement,
    delivery,
    deadlines,
    records,
    async startWorkers() {
      const common = { connection: bullConnection, keys, db, concurrency: config.WORKER_CONCURRENCY };
      workers = [
        startDeadlineWorker({ ...common, settlement, graceMs: config.ANSWER_GRACE_MS }),
        startRecordWorker({ ...common, store: attempts }),
      ];
      for (const w of workers as Worker[])
        w.on('failed', (job, err) => {
          if (job && job.attemptsMade >= (job.opts.attempts ?? 1))
            log('job failed for good', { queue: w.name, jobId: job.id, error: err.message });
        });
      await deadlines.scheduleSweep(config.SWEEP_MS);
      // Redis may lose the scheduler with its data while this worker runs on: put it back.
      let checking = false; // while Redis is away, one check waits for it, not one per tick
      sweepGuard = setInterval(() => {
        if (checking) return;
        checking = true;
        deadlines
          .ensureSweep(config.SWEEP_MS)
          .catch((e: Error) => log('sweep schedule check failed', { error: e.message }, 'warn'))
          .finally(() => (checking = false));
      }, config.SWEEP_MS);
      sweepGuard.unref();
      // Every change an API process acknowledged is marked in Redis; this drains the marks.
      checkpointer = startCheckpointer({
        store: attempts,
        db,
        everyMs: config.CHECKPOINT_MS,
        sweepEveryMs: config.SWEEP_MS,
        log,
      });
    },
    async close() {
      clearInterval(reload);
      sessionPurge.stop();
      clearInterval(sweepGuard);
      await checkpointer?.stop().catch(() => {});
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([deadlines.close(), records.close()]);
      subscriber.disconnect();
      await Promise.all([redis.quit(), bullConnection.quit()]).catch(() => {});
      await database.close();
    },
  };
}
