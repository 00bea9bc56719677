import { createRoute, z } from '@hono/zod-openapi';
import { jsonResponse, subApp } from '../http/app.js';
import { AppError } from '../errors.js';
import { policySchema } from '../policy/schema.js';
import { cycleBodySchema, cycleIdSchema, cycleView, type CycleService } from './service.js';

const params = z.object({ cycleId: cycleIdSchema });
const cycleSchema = z.object({
  cycleId: z.string(),
  title: z.string(),
  opensAt: z.string(),
  closesAt: z.string(),
  /** The built-in policy's id, or null for an inline policy. */
  policyId: z.string().nullable(),
  policy: policySchema,
});
const oneCycle = z.object({ cycle: cycleSchema });

export function cycleRoutes(cycles: CycleService) {
  const app = subApp();
  app.openapi(
    createRoute({
      method: 'put',
      path: '/{cycleId}',
      tags: ['cycles'],
      summary: 'Create or replace a cycle: its window and its policy (an id such as "beijing", or inline)',
      request: { params, body: { content: { 'application/json': { schema: cycleBodySchema } }, required: true } },
      responses: { 200: jsonResponse('the cycle', oneCycle) },
    }),
    async (c) => {
      const { cycleId } = c.req.valid('param');
      const { cycle } = await cycles.upsert(cycleId, c.req.valid('json'));
      return c.json({ cycle: cycleView(cycle) }, 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['cycles'],
      summary: 'All cycles',
      responses: { 200: jsonResponse('cycles', z.object({ cycles: z.array(cycleSchema) })) },
    }),
    (c) => c.json({ cycles: cycles.all().map(cycleView) }, 200),
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{cycleId}',
      tags: ['cycles'],
      summary: 'One cycle',
      request: { params },
      responses: { 200: jsonResponse('the cycle', oneCycle) },
    }),
    (c) => {
      const cycle = cycles.get(c.req.valid('param').cycleId);
      if (!cycle) throw new AppError('not_found', '考核周期不存在');
      return c.json({ cycle: cycleView(cycle) }, 200);
    },
  );
  return app;
}
