// The Hono app: one sub-app per resource, one error vocabulary turned into problem+json here.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { AppError } from '../errors.js';
import { errorFields, sqlState, type Log } from '../log.js';
import type { AppEnv } from './env.js';

export const MiB = 1024 * 1024;

/** An OpenAPI response entry with a JSON body and its schema. */
export const jsonResponse = (description: string, schema: z.ZodType) => ({
  description,
  content: { 'application/json': { schema } },
});

/** Every sub-app is made with this, so that a zod failure anywhere becomes validation_failed. */
export function subApp() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        const head = issues
          .slice(0, 3)
          .map((i) => `${i.path || '(body)'}: ${i.message}`)
          .join('; ');
        throw new AppError('validation_failed', head, { errors: issues });
      }
    },
  });
}

export function problem(c: Context, err: AppError) {
  if (err.extra?.retryAfterSec !== undefined) c.header('Retry-After', String(Math.ceil(err.extra.retryAfterSec)));
  // The rest of an oversize body is not read: the connection cannot be reused.
  if (err.code === 'payload_too_large') c.header('Connection', 'close');
  return c.body(JSON.stringify(err.toProblem(c.req.path)), err.status as 400, {
    'content-type': 'application/problem+json',
  });
}

/**
 * SQLSTATEs of text Postgres cannot store: 22P05 (untranslatable character, e.g. \u0000 in jsonb),
 * 22021 (invalid byte sequence, e.g. NUL in text) and 22P02 (invalid text representation, e.g. a
 * lone surrogate in jsonb). The schemas refuse such text first (src/text.ts); should any reach the
 * database anyway, it is the client's bad input, not a server fault.
 */
const BAD_TEXT_SQLSTATES = new Set(['22P05', '22021', '22P02']);

export function onError(log: Log) {
  return (err: Error, c: Context<AppEnv>) => {
    if (err instanceof AppError) return problem(c, err);
    if (err instanceof HTTPException) {
      // Hono's own rejections: malformed JSON (400), body limits (413) and the like.
      const code =
        err.status === 413
          ? 'payload_too_large'
          : err.status === 401
            ? 'unauthenticated'
            : err.status === 404
              ? 'not_found'
              : 'validation_failed';
      return problem(c, new AppError(code, err.message || undefined));
    }
    if (err instanceof ZodError)
      return problem(
        c,
        new AppError(
          'validation_failed',
          err.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
        ),
      );
    if (err instanceof SyntaxError)
      return problem(c, new AppError('validation_failed', `malformed JSON: ${err.message}`));
    const where = { reqId: c.get('requestId'), method: c.req.method, path: c.req.path };
    const state = sqlState(err);
    if (state && BAD_TEXT_SQLSTATES.has(state)) {
      log('database refused text', { ...where, code: state }, 'warn');
      return problem(
        c,
        new AppError(
          'validation_failed',
          '文本含有无法保存的字符 (the text contains characters that cannot be stored: control characters or invalid Unicode)',
        ),
      );
    }
    if (isUnreachable(err, state)) {
      // Postgres or Redis cannot be reached (restarting, failing over, cut off): not a bug, and the
      // client should come back shortly.
      log('service unreachable', { ...where, error: errorFields(err) }, 'warn');
      return problem(
        c,
        new AppError('unavailable', '服务暂时不可用，请稍后重试 (a backing service is unreachable)', {
          retryAfterSec: 5,
        }),
      );
    }
    log('unhandled error', { ...where, error: errorFields(err) }, 'error');
    return problem(c, new AppError('internal_error', '服务器内部错误，请稍后重试 (internal error)'));
  };
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * A connection failure to Postgres (SQLSTATE class 08, admin shutdown 57P01-57P03, postgres.js
 * connection codes) or to Redis (ioredis' closed-connection errors), anywhere in the cause chain.
 */
function isUnreachable(err: unknown, state: string | undefined): boolean {
  if (state && (state.startsWith('08') || /^57P0[1-3]$/.test(state))) return true;
  for (let e = err, i = 0; e && typeof e === 'object' && i < 5; e = (e as { cause?: unknown }).cause, i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection is closed|MaxRetriesPerRequestError|Stream isn't writeable/.test(message)
    )
      return true;
  }
  return false;
}

/** Cache-Control of the public catalogue: it changes with a deploy, not during a sitting. */
export const CATALOGUE_CACHE = 'public, max-age=300';
const CATALOGUE_PATH = /^\/v1\/catalogue\/?$/;

/**
 * First middleware of the app: gives each request an id (answered as `X-Request-Id` and written
 * into every log line about the request) and the headers every answer carries: `nosniff`, and
 * `Cache-Control: no-store` on the API (tokens, attempt views, results) except the catalogue.
 * They are set after the handler, so problem answers and raw Responses get them too. Under the
 * Node server they go onto Node's response, which merges them under the Response's own headers
 * (a static asset keeps its own Cache-Control): building a Headers object for every answer would
 * cost the hot path a measurable share of its CPU.
 */
export function requestContext(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = randomUUID();
    c.set('requestId', requestId);
    await next();
    const path = c.req.path;
    const cache =
      path.startsWith('/v1/') || path === '/v1'
        ? CATALOGUE_PATH.test(path) && c.res.status === 200
          ? CATALOGUE_CACHE
          : 'no-store'
        : null;
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    if (outgoing && typeof outgoing.setHeader === 'function' && !outgoing.headersSent) {
      outgoing.setHeader('X-Request-Id', requestId);
      outgoing.setHeader('X-Content-Type-Options', 'nosniff');
      if (cache) outgoing.setHeader('Cache-Control', cache);
      return;
    }
    const headers = c.res.headers;
    headers.set('X-Request-Id', requestId);
    headers.set('X-Content-Type-Options', 'nosniff');
    if (cache) headers.set('Cache-Control', cache);
  };
}

/**
 * 1 MiB for ordinary bodies, 50 MiB for bank imports (DESIGN §4). A declared Content-Length is
 * checked from the header alone: hono's bodyLimit reads `req.raw.body`, which makes the Node adapter
 * build a full fetch Request for every request, a large share of the hot path's CPU. Only a body
 * without a length (chunked) goes through hono's counting reader.
 */
export function bodyLimits(): MiddlewareHandler {
  const tooLarge = () => {
    throw new AppError('payload_too_large', undefined);
  };
  const counting = {
    small: bodyLimit({ maxSize: MiB, onError: tooLarge }),
    large: bodyLimit({ maxSize: 50 * MiB, onError: tooLarge }),
  };
  return async (c, next) => {
    const large = c.req.path.endsWith('/import') && /^\/v1\/admin\/banks\/[^/]+\/import$/.test(c.req.path);
    const declared = c.req.header('content-length');
    if (declared !== undefined && !c.req.header('transfer-encoding')) {
      if (Number(declared) > (large ? 50 * MiB : MiB)) tooLarge();
      return next();
    }
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    return (large ? counting.large : counting.small)(c, next);
  };
}
