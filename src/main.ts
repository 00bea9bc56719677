// The process: ROLE=api serves HTTP, ROLE=worker runs the BullMQ workers, ROLE=all does both.
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { fitCheck } from './papers/fit.js';
import { loadConfig } from './config.js';
import { createEngine, type Engine } from './engine.js';
import { makeLog } from './log.js';
import { KEEP_ALIVE_TIMEOUT_MS, onClientError, serverOptions } from './http/server.js';
import { RedisUnavailableError } from './redis/client.js';
import { loadShippedBanks, seedDemo } from './seed.js';

const SHUTDOWN_GRACE_MS = 10_000;

async function main() {
  const config = loadConfig();
  const log = makeLog(config.LOG_LEVEL);
  let engine: Engine;
  try {
    engine = await createEngine(config, log);
  } catch (e) {
    if (e instanceof RedisUnavailableError) {
      process.stderr.write(`\n${e.message}\n\n`);
      process.exit(1);
    }
    throw e;
  }
  const serves = config.ROLE !== 'worker';
  if (config.LOAD_SHIPPED_BANKS) await loadShippedBanks(engine.banks, fitCheck(engine.cycles, engine.catalogue), log);
  const demo = config.DEMO ? await seedDemo(engine.cycles, engine.candidates) : null;
  if (config.ROLE !== 'api') await engine.startWorkers();

  let server: Server | null = null;
  if (serves) {
    server = serve({
      fetch: engine.app.fetch,
      port: config.PORT,
      hostname: config.HOST,
      serverOptions: serverOptions(config),
    }) as Server;
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS; // also for Node versions without the option
    server.on('clientError', onClientError);
    await new Promise<void>((resolve) => server!.once('listening', resolve));
  }
  const address = server?.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  log('engine started', {
    role: config.ROLE,
    port: serves ? port : null,
    database: engine.database.kind,
    pid: process.pid,
  });
  if (serves) {
    const lines = [
      '',
      `定考 exam engine listening on http://127.0.0.1:${port}  (role ${config.ROLE}, database ${engine.database.kind})`,
      config.ADMIN_TOKEN
        ? 'Admin token: from ADMIN_TOKEN'
        : `Admin token (generated, shown once): ${engine.adminToken}`,
    ];
    if (demo)
      lines.push(
        `Demo candidate (cycle "${demo.cycleId}", 内科): idNumber ${demo.idNumber}  password ${demo.password}`,
        `  curl -s -X POST http://127.0.0.1:${port}/v1/auth/login -H 'content-type: application/json' -d '{"idNumber":"${demo.idNumber}","password":"${demo.password}"}'`,
      );
    process.stdout.write(lines.join('\n') + '\n\n');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    const hardStop = setTimeout(() => {
      log('shutdown took too long; exiting', {}, 'error');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS + 5000);
    hardStop.unref();
    if (server) {
      // Stop accepting, let requests in flight finish, then drop idle keep-alive connections.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const drained = await Promise.race([
        closed.then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), SHUTDOWN_GRACE_MS)),
      ]);
      if (!drained) server.closeAllConnections();
    }
    await engine.close();
    log('stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e) => {
  process.stderr.write(`engine failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
