// The Hono app: one sub-app per resource, one error vocabulary turned into problem+json here.
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { AppError } from '../errors.js';
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

export function onError(log: (msg: string, extra?: Record<string, unknown>) => void) {
  return (err: Error, c: Context) => {
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
    log('unhandled error', { path: c.req.path, method: c.req.method, error: err.stack ?? String(err) });
    return problem(c, new AppError('internal_error', '服务器内部错误，请稍后重试 (internal error)'));
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
