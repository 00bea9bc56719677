import { createRoute, z } from '@hono/zod-openapi';
import { subApp } from '../http/app.js';
import { publicCatalogue, type Catalogue } from './catalogue.js';

const specialty = z.object({
  code: z.string(),
  name: z.string(),
  subject: z.string(),
  category: z.string(),
  scopes: z.array(z.string()),
  provider: z.enum(['general', 'cosmetic', 'health-check']),
  online: z.boolean(),
});

export function catalogueRoutes(catalogue: Catalogue) {
  const body = publicCatalogue(catalogue);
  return subApp().openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['catalogue'],
      summary: 'The Beijing specialty catalogue (报考专业)',
      responses: {
        200: {
          description: 'All specialties',
          content: { 'application/json': { schema: z.object({ specialties: z.array(specialty) }) } },
        },
      },
    }),
    (c) => c.json(body, 200),
  );
}
