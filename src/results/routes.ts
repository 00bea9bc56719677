import { createRoute, z } from '@hono/zod-openapi';
import { stringify } from 'csv-stringify/sync';
import type { BankStore } from '../banks/store.js';
import { cycleIdSchema, type CycleService } from '../cycles/service.js';
import type { Db } from '../db/client.js';
import { jsonResponse, subApp } from '../http/app.js';
import { spreadsheetCell } from '../text.js';
import { attemptRecord, cycleResults } from './queries.js';

const resultRow = z.object({
  idNumber: z.string(),
  name: z.string(),
  specialty: z.string(),
  level: z.string(),
  triesUsed: z.number().int(),
  maxTries: z.number().int(),
  bestScore: z.number().nullable(),
  bestSections: z.array(z.object({ id: z.string(), score: z.number(), maxScore: z.number(), passed: z.boolean() })),
  outcome: z.enum(['passed', 'failed', 'in_progress', 'not_started']),
  lastAttemptAt: z.string().nullable(),
});
const resultsReply = z.object({ cycleId: z.string(), results: z.array(resultRow) });

const logEntry = z.object({
  at: z.number(),
  kind: z.enum(['start', 'answer', 'submit', 'timeout', 'section', 'closed', 'restored', 'settled']),
  number: z.number().optional(),
  questionId: z.string().optional(),
  keys: z.string().optional(),
  section: z.number().optional(),
  passed: z.boolean().optional(),
});
const sectionScore = z.object({
  id: z.string(),
  title: z.string(),
  score: z.number(),
  maxScore: z.number(),
  passMark: z.number(),
  passed: z.boolean(),
  answered: z.number(),
  items: z.number(),
});
const attemptRecordReply = z.object({
  attemptId: z.string(),
  candidateId: z.string(),
  cycleId: z.string(),
  examId: z.string(),
  number: z.number().int(),
  status: z.enum(['in_progress', 'finished']),
  seed: z.string(),
  bankVersions: z.record(z.string(), z.number()),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  score: z.number().nullable(),
  maxScore: z.number().nullable(),
  passed: z.boolean().nullable(),
  scores: z
    .object({ score: z.number(), maxScore: z.number(), passed: z.boolean(), sections: z.array(sectionScore) })
    .nullable(),
  /** Per section: started, deadline, ended, how it ended. */
  timeline: z.array(z.record(z.string(), z.unknown())),
  events: z.array(logEntry),
  paper: z.object({
    sections: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        bankId: z.string(),
        bankVersion: z.number().int(),
        passMark: z.number(),
        questions: z.array(
          z.object({
            id: z.string(),
            group: z.string().nullable(),
            type: z.enum(['single', 'multiple', 'truefalse']),
            stem: z.string().nullable(),
            /** Bank option keys in the order the candidate saw them. */
            optionOrder: z.array(z.string()),
            correct: z.array(z.string()).nullable(),
            answer: z.array(z.string()),
            points: z.number().nullable(),
          }),
        ),
      }),
    ),
  }),
});

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
          content: { 'application/json': { schema: resultsReply }, 'text/csv': { schema: z.string() } },
        },
      },
    }),
    async (c) => {
      const { cycleId } = c.req.valid('param');
      const rows = await cycleResults(db, cycles, cycleId);
      if ((c.req.header('accept') ?? '').includes('text/csv')) {
        const sectionIds = [...new Set(rows.flatMap((r) => r.bestSections.map((s) => s.id)))];
        // Every cell goes through spreadsheetCell: a name like =HYPERLINK(…) stays text in Excel.
        const csv = stringify(
          rows.map((r) =>
            [
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
            ].map(spreadsheetCell),
          ),
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
              ...sectionIds.map((id) => spreadsheetCell(`score_${id}`)),
              'outcome',
              '结果',
              'lastAttemptAt',
            ],
            bom: true,
          },
        );
        return c.body(csv, 200, {
          'content-type': 'text/csv; charset=utf-8',
          // Cycle ids are letters, digits, "_" and "-": safe in a quoted file name as they are.
          'content-disposition': `attachment; filename="results-${cycleId}.csv"`,
        });
      }
      return c.json({ cycleId, results: rows }, 200);
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
      responses: { 200: jsonResponse('the attempt', attemptRecordReply) },
    }),
    async (c) => c.json(await attemptRecord(db, banks, c.req.valid('param').attemptId), 200),
  );
}
