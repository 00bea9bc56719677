// Candidate routes: GET /v1/me and /v1/attempts/*. The auth middleware is mounted by the app.
import { createRoute } from '@hono/zod-openapi';
import { jsonResponse, subApp } from '../http/app.js';
import {
  answersBody,
  attemptParams,
  attemptView,
  meView,
  resultView,
  saveReply,
  sectionParams,
  startBody,
} from './schemas.js';
import type { DeliveryService } from './service.js';

export function meRoutes(delivery: DeliveryService) {
  return subApp().openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['candidate'],
      summary: 'The candidate, tries used and left, outcome',
      responses: { 200: jsonResponse('me', meView) },
    }),
    async (c) => c.json(await delivery.me(c.get('candidate')), 200),
  );
}

export function attemptRoutes(delivery: DeliveryService) {
  const app = subApp();
  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      tags: ['attempts'],
      summary: 'Start a try: counts it and draws its paper',
      request: { body: { content: { 'application/json': { schema: startBody } }, required: false } },
      responses: { 201: jsonResponse('the attempt view', attemptView) },
    }),
    async (c) => {
      const text = await c.req.text();
      const body = text.trim() ? startBody.parse(JSON.parse(text)) : {};
      return c.json(await delivery.start(c.get('candidate'), body.exam), 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      tags: ['attempts'],
      summary: 'The attempt view',
      request: { params: attemptParams },
      responses: { 200: jsonResponse('the attempt view', attemptView) },
    }),
    async (c) => c.json(await delivery.view(c.get('candidate'), c.req.valid('param').id), 200),
  );
  app.openapi(
    createRoute({
      method: 'put',
      path: '/{id}/answers',
      tags: ['attempts'],
      summary: 'Save answers (one or many; [] clears); idempotent',
      request: {
        params: attemptParams,
        body: { content: { 'application/json': { schema: answersBody } }, required: true },
      },
      responses: { 200: jsonResponse('saved', saveReply) },
    }),
    async (c) => {
      c.req.valid('json');
      // The parsed body itself, not zod's copy: a question id may be "__proto__", which a record
      // schema's output object cannot hold. The service checks each entry again.
      const { answers } = await c.req.json<{ answers: Record<string, unknown> }>();
      return c.json(await delivery.save(c.get('candidate'), c.req.valid('param').id, answers), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'post',
      path: '/{id}/sections/{sectionId}/submit',
      tags: ['attempts'],
      summary: 'Submit a section; the next starts at once (idempotent)',
      request: { params: sectionParams },
      responses: { 200: jsonResponse('the attempt view', attemptView) },
    }),
    async (c) => {
      const { id, sectionId } = c.req.valid('param');
      return c.json(await delivery.submit(c.get('candidate'), id, sectionId), 200);
    },
  );
  app.openapi(
    createRoute({
      method: 'get',
      path: '/{id}/result',
      tags: ['attempts'],
      summary: 'The result of a finished try',
      request: { params: attemptParams },
      responses: { 200: jsonResponse('result', resultView) },
    }),
    async (c) => c.json(await delivery.result(c.get('candidate'), c.req.valid('param').id), 200),
  );
  return app;
}
