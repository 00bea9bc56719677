// A whole engine per test file: its own Postgres database and Redis prefix, a real HTTP server on
// a free port, and the BullMQ workers running. Everything is removed in `close()`.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import postgres from 'postgres';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { onClientError, serverOptions } from '../../src/http/server.js';
import { makeLog, type LogSink } from '../../src/log.js';
import { ADMIN_URL, REDIS_URL, deleteByPattern } from './global-setup.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestEngine {
  engine: Engine;
  url: string;
  dbUrl: string;
  prefix: string;
  /** fetch against the server, JSON in and out. */
  call(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: RequestInit['body']; headers?: Record<string, string> },
  ): Promise<TestResponse>;
  admin(method: string, path: string, body?: unknown): Promise<TestResponse>;
  /** Stops and starts the engine on the same database and Redis prefix (a process restart). */
  restart(): Promise<void>;
  close(): Promise<void>;
}
export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function startTestEngine(
  env: Record<string, string> = {},
  opts: { logSink?: LogSink } = {},
): Promise<TestEngine> {
  const runId = inject('runId');
  const tag = randomBytes(3).toString('hex');
  const dbName = `dk_t_${runId}_${tag}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${dbName}"`);
  await admin.end();
  const dbUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${dbName}`);
  const prefix = `dkt-${runId}-${tag}.`;
  const config = loadConfig({
    DATABASE_URL: dbUrl,
    REDIS_URL,
    REDIS_PREFIX: prefix,
    ADMIN_TOKEN,
    DEMO: 'false',
    LOAD_SHIPPED_BANKS: 'false',
    CHECKPOINT_MS: '200',
    SWEEP_MS: '1000',
    LOG_LEVEL: 'error',
    ...env,
  });
  const log = makeLog(config.LOG_LEVEL, opts.logSink);

  let engine: Engine;
  let server: Server;
  let url = '';
  const boot = async () => {
    engine = await createEngine(config, log);
    await engine.startWorkers();
    server = serve({
      fetch: engine.app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      serverOptions: serverOptions(config),
    }) as Server;
    server.on('clientError', onClientError);
    await new Promise<void>((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const shutdown = async () => {
    await new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections();
    });
    await engine.close();
  };
  await boot();

  const call: TestEngine['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: RequestInit['body'] = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  return {
    get engine() {
      return engine;
    },
    get url() {
      return url;
    },
    dbUrl,
    prefix,
    call,
    admin: (method, path, body) => call(method, path, { token: ADMIN_TOKEN, body }),
    restart: async () => {
      await shutdown();
      await boot();
    },
    close: async () => {
      await shutdown();
      const a = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists "${dbName}" with (force)`);
      await a.end();
      const r = new Redis(REDIS_URL);
      await deleteByPattern(r, `*${prefix}*`);
      r.disconnect();
    },
  };
}
