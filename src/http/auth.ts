import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { parseToken } from '../candidates/service.js';
import { AppError } from '../errors.js';
import type { AppEnv } from './env.js';

function bearer(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/** Admin routes: the bootstrap admin token. Compared in constant time. */
export function adminAuth(adminToken: string): MiddlewareHandler {
  const want = createHash('sha256').update(adminToken).digest();
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    if (!token) throw new AppError('unauthenticated', '需要管理员令牌 (admin token required)');
    if (!timingSafeEqual(createHash('sha256').update(token).digest(), want))
      throw new AppError('forbidden', '管理员令牌无效 (not an admin token)');
    await next();
  };
}

/**
 * Candidate routes: the token names its candidate. Whether the session is valid is decided inside
 * the same Redis script that does the work (one round trip), so nothing is looked up here.
 */
export function candidateAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearer(c.req.header('authorization'));
    const parsed = token ? parseToken(token) : null;
    if (!parsed) throw new AppError('unauthenticated', '请先登录 (log in first)');
    c.set('candidate', parsed);
    await next();
  };
}
