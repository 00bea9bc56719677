// One JSON object per line on stdout/stderr: what an operator greps at 3 a.m. Every line goes
// through a redaction step first. Logs must never hold an id number in full, a name, a password or
// its hash, a session token or the parameters of an SQL statement: drizzle and postgres.js put the
// query and its parameters into error messages ("Failed query: … params: …") and into fields
// (`parameters`, `query`), so errors are logged as their class, SQLSTATE and a cut, scrubbed message.
import { pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type Log = (msg: string, extra?: Record<string, unknown>, level?: Exclude<LogLevel, 'silent'>) => void;
/** Where finished lines go (tests capture them); by default pino writes them to stdout. */
export type LogSink = (line: string) => void;

/**
 * The engine's logger: pino, one JSON object per line ({ level, time, pid, msg, … }), with every
 * message and field passed through the redaction below first.
 */
export function makeLog(min: LogLevel, sink?: LogSink): Log {
  const logger = pino(
    {
      level: min,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    sink ? { write: (line: string) => sink(line.trimEnd()) } : pino.destination(1),
  );
  return (msg, extra, level = 'info') => {
    if (!logger.isLevelEnabled(level)) return;
    logger[level](extra ? (redact(extra, 0) as Record<string, unknown>) : {}, scrub(msg));
  };
}

/** Keys whose values never reach a log, whatever they hold. */
const SECRET_KEYS = new Set([
  'password',
  'passwordhash',
  'hash',
  'tokenhash',
  'token',
  'secret',
  'authorization',
  'cookie',
  'idnumber',
  'name',
  'params',
  'parameters',
  'query',
]);
const MAX_STRING = 1000;
const MAX_DEPTH = 5;

function redact(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value instanceof Error) return errorFields(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.has(k.toLowerCase()) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/**
 * Text safe to log: an SQL parameter list is cut off, id numbers are masked (region and check
 * character kept), password hashes, session tokens and bearer tokens are removed, a value quoted by
 * a Postgres message ('invalid input syntax for type integer: "…"') is dropped, and the rest is
 * cut to a readable length.
 */
export function scrub(s: string): string {
  return s
    .replace(/\s*params:[\s\S]*$/i, ' params: [redacted]')
    .replace(/(:\s*)"[^"\n]*"/g, '$1"[redacted]"')
    .replace(/scrypt\$[^\s,"')]*/g, 'scrypt$[redacted]')
    .replace(/\bBearer\s+\S+/gi, 'Bearer [redacted]')
    .replace(/(?<![\w.])[0-9a-z]{14}\.[A-Za-z0-9_-]{32}(?![\w-])/g, '[token]')
    .replace(/(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])/g, '$1********$2')
    .replace(/(?<!\d)(\d{6})\d{6}(\d{3})(?!\d)/g, '$1******$2')
    .slice(0, MAX_STRING);
}

/** SQLSTATE of a database error (postgres.js, PGlite), looked for along the `cause` chain. */
export function sqlState(err: unknown): string | undefined {
  for (let e = err, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/**
 * What is logged of an error: its class, SQLSTATE, scrubbed message, stack frames without the
 * message (the message may hold data), and the same for its cause. Never its own fields: a
 * postgres.js error carries `parameters` and `query`.
 */
export function errorFields(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { errorClass: typeof err, message: scrub(String(err)) };
  const code = sqlState(err);
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8)
    .map((l) => l.trim());
  const cause = (err as { cause?: unknown }).cause;
  return {
    errorClass: err.constructor?.name ?? err.name,
    ...(code ? { code } : {}),
    message: scrub(err.message).slice(0, 300),
    ...(frames.length ? { stack: frames } : {}),
    ...(cause !== undefined && depth < 3 ? { cause: errorFields(cause, depth + 1) } : {}),
  };
}
