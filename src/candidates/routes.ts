import { createRoute, z } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import { cycleIdSchema } from '../cycles/service.js';
import { jsonResponse, subApp } from '../http/app.js';
import { AppError } from '../errors.js';
import type { AppEnv } from '../http/env.js';
import { safeText } from '../text.js';
import { forwardedAddress } from './address.js';
import { registrationsFromCsv } from './csv.js';
import type { CandidateService } from './service.js';

const registrationBody = z.object({ candidates: z.array(z.unknown()).min(1).max(50_000) }).strict();

/** POST /v1/admin/cycles/:cycleId/candidates — JSON `{ candidates: [...] }` or a CSV sheet. */
export function registrationRoutes(service: CandidateService) {
  const app = subApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{cycleId}/candidates',
      tags: ['candidates'],
      summary: 'Register candidates (JSON or CSV); one result per row',
      request: {
        params: z.object({ cycleId: cycleIdSchema }),
        body: {
          content: {
            'application/json': { schema: registrationBody },
            'text/csv': { schema: z.string() },
          },
          // Not "required": the generated validator would then treat a CSV body as JSON.
          required: false,
        },
      },
      responses: {
        200: jsonResponse(
          'one result per row',
          z.object({
            results: z.array(
              z.object({
                idNumber: z.string(),
                status: z.enum(['created', 'updated', 'rejected']),
                code: z.string().optional(),
                detail: z.string().optional(),
                /** A generated password, shown once. */
                password: z.string().optional(),
                candidateId: z.string().optional(),
              }),
            ),
          }),
        ),
      },
    }),
    async (c) => {
      const { cycleId } = c.req.valid('param');
      // The JSON validator only runs for JSON bodies; a sheet is parsed here.
      const type = c.req.header('content-type') ?? '';
      const rows = type.startsWith('text/csv')
        ? registrationsFromCsv(new Uint8Array(await c.req.arrayBuffer()))
        : registrationBody.parse(await c.req.json()).candidates;
      if (!rows.length) throw new AppError('validation_failed', '没有考生数据 (no rows)');
      return c.json({ results: await service.register(cycleId, rows) }, 200);
    },
  );
  return app;
}

const loginBody = z.object({ idNumber: safeText(32).min(1), password: safeText(128).min(1) }).strict();

export function authRoutes(service: CandidateService, trustProxy: boolean) {
  const app = subApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
      tags: ['auth'],
      summary: 'Candidate login with 身份证号 and password; returns an opaque session token',
      request: { body: { content: { 'application/json': { schema: loginBody } }, required: true } },
      responses: {
        200: {
          description: 'session',
          content: { 'application/json': { schema: z.object({ token: z.string(), expiresAt: z.string() }) } },
        },
      },
    }),
    async (c) => {
      const { idNumber, password } = c.req.valid('json');
      const s = await service.login(idNumber, password, clientAddress(c, trustProxy));
      return c.json({ token: s.token, expiresAt: s.expiresAt.toISOString() }, 200);
    },
  );
  return app;
}

export function logoutRoute(service: CandidateService) {
  const app = subApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      tags: ['auth'],
      summary: 'End this session',
      responses: { 204: { description: 'ended' } },
    }),
    async (c) => {
      const who = c.get('candidate');
      if (!(await service.logout(who.candidateId, who.tokenHash)))
        throw new AppError('unauthenticated', '未登录或登录已过期 (no such session)');
      return c.body(null, 204);
    },
  );
  return app;
}

/**
 * The address login limits count by. Behind a trusted proxy (TRUST_PROXY) it is the entry that
 * proxy appended to X-Forwarded-For, the rightmost: everything left of it was written by the
 * client. Without one (or when that entry is not an address) it is the TCP peer.
 */
export function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string {
  if (trustProxy) {
    const fwd = forwardedAddress(c.req.header('x-forwarded-for'));
    if (fwd) return fwd;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
