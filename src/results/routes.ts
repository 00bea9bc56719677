import { createRoute, z } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify/sync';
import type { BankStore } from '../banks/store.js';
import { cycleIdSchema, type CycleService } from '../cycles/service.js';
import type { Db } from '../db/client.js';
import { jsonResponse, subApp } from '../http/app.js';
import { attemptRecord, cycleResults } from './queries.js';

const OUTCOME_ZH = { passed: '合格', failed: '不合格', in_progress: '进行中', not_started: '未参加' } as const;

export function cycleResultRoutes(db: Db, cycles: CycleService) {
  return subApp().openapi(
    createRoute({
      method: 'get',
      path: '/{cycleId}/results',
      tags: ['results'],
      summary: 'One row per candidate, from Postgres; Accept: text/csv for a sheet',
      request: { params: z.object({ cycleId: cycleIdSchema }) },
      responses: {
        200: {
          description: 'results',
          content: { 'application/json': { schema: z.any() }, 'text/csv': { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const rows = await cycleResults(db, cycles, c.req.valid('param').cycleId);
      if ((c.req.header('accept') ?? '').includes('text/csv')) {
        const sectionIds = [...new Set(rows.flatMap((r) => r.bestSections.map((s) => s.id)))];
        const csv = stringify(
          rows.map((r) => [
            r.idNumber,
            r.name,
            r.specialty,
            r.level,
            r.triesUsed,
            r.maxTries,
            r.bestScore ?? '',
            ...sectionIds.map((id) => r.bestSections.find((s) => s.id === id)?.score ?? ''),
            r.outcome,
            OUTCOME_ZH[r.outcome],
            r.lastAttemptAt ?? '',
          ]),
          {
            header: true,
            columns: [
              'idNumber',
              'name',
              'specialty',
              'level',
              'triesUsed',
              'maxTries',
              'bestScore',
              ...sectionIds.map((id) => `score_${id}`),
              'outcome',
              '结果',
              'lastAttemptAt',
            ],
            bom: true,
          },
        );
        return c.body(csv, 200, { 'content-type': 'text/csv; charset=utf-8' });
      }
      return c.json({ cycleId: c.req.valid('param').cycleId, results: rows }, 200);
    },
  );
}

export function attemptRecordRoutes(db: Db, banks: BankStore) {
  return subApp().openapi(
    createRoute({
      method: 'get',
      path: '/{attemptId}',
      tags: ['results'],
      summary: 'The whole attempt from Postgres, with correct keys',
      request: { params: z.object({ attemptId: z.string().regex(/^[A-Za-z0-9]{8,32}$/) }) },
      responses: { 200: jsonResponse('the attempt') },
    }),
    async (c) => c.json(await attemptRecord(db, banks, c.req.valid('param').attemptId), 200),
  );
}
