// Real processes for tests: the engine as `node --import tsx src/main.ts`, a Redis server of a test's
// own, free ports. Everything started here is remembered, so that `stopAll()` (in an afterAll) kills
// what a failed test left running.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');

export interface Proc {
  child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr together. */
  out: () => string;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function track(child: ChildProcess): Proc {
  let out = '';
  running.add(child);
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  return { child, out: () => out, exited };
}

/** Starts the engine (src/main.ts) with only PATH and the given environment. */
export function run(env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--import', TSX, 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', DEMO: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(child);
}

/** Waits until the process printed `text`; fails at once when it exits first. */
export async function until(p: Proc, text: string, ms = 40_000) {
  const end = Date.now() + ms;
  while (!p.out().includes(text)) {
    if (Date.now() > end || p.child.exitCode !== null || p.child.signalCode !== null)
      throw new Error(`"${text}" not seen:\n${p.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The port an API process listens on, from its "engine started" log line (printed before the banner). */
export function portOf(p: Proc): number {
  // The log line is JSON whose field order is the logger's: read the field, not the order.
  const line = p
    .out()
    .split('\n')
    .find((l) => l.includes('"msg":"engine started"'));
  const port = line ? (JSON.parse(line) as { port?: number }).port : undefined;
  if (!port) throw new Error(`no port in:\n${p.out()}`);
  return port;
}

/** Kills with SIGKILL (a crash: no shutdown code runs) and waits for the exit. */
export async function crash(p: Proc) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

/** A port nobody listens on right now (loopback). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A Redis server of the test's own, without persistence, so that killing it loses everything (as a
 * production Redis without AOF would).
 */
export async function startRedis(port: number): Promise<Proc> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const p = track(child);
  // Ready when it accepts connections.
  const end = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited:\n${p.out()}`);
    if (await accepts(port)) return p;
    if (Date.now() > end) throw new Error(`redis-server not ready on ${port}:\n${p.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Kills every process started here that is still running. */
export async function stopAll() {
  const left = [...running];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(
    left.map((c) =>
      c.exitCode === null && c.signalCode === null
        ? new Promise<void>((r) => c.once('exit', () => r()))
        : Promise.resolve(),
    ),
  );
}
