import { createRoute, z } from '@hono/zod-openapi';
import { jsonResponse, subApp } from '../http/app.js';
import { AppError } from '../errors.js';
import { runImport } from './import/run.js';
import { IMPORT_FORMATS, type ImportFormat } from './import/types.js';
import { bankIdSchema } from './schema.js';
import type { BankStore, FitCheck } from './store.js';

const counts = { questions: z.number().int(), byType: z.record(z.string(), z.number().int()) };
const published = z.object({ bankId: z.string(), version: z.number().int(), ...counts });
const warning = z.object({ questionId: z.string().optional(), message: z.string() });
const publishReply = published.extend({ created: z.boolean(), warnings: z.array(warning) });
const importReport = z.object({
  imported: z.number().int(),
  skipped: z.array(z.object({ ref: z.string(), reason: z.string() })),
  errors: z.array(z.object({ ref: z.string(), detail: z.string() })),
  notes: z.array(z.object({ ref: z.string(), detail: z.string() })),
});
const importReply = publishReply.extend({ report: importReport });
const dryRunReply = z.object({
  bankId: z.string(),
  dryRun: z.literal(true),
  report: importReport,
  /** The native questions it would publish (DESIGN §5). */
  questions: z.array(z.record(z.string(), z.unknown())),
  warnings: z.array(warning),
});
const versionsReply = z.object({
  bankId: z.string(),
  versions: z.array(
    z.object({
      version: z.number().int(),
      title: z.string(),
      contentHash: z.string(),
      ...counts,
      byTopic: z.record(z.string(), z.number().int()),
      createdAt: z.string(),
      retiredAt: z.string().nullable(),
    }),
  ),
});
const bankParams = z.object({ bankId: bankIdSchema });
/** The template builder pulls in exceljs: loaded on first use, not at start-up. */
const importers = () => import('./import/index.js');

export function bankRoutes(store: BankStore, fit: FitCheck) {
  const app = subApp();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      tags: ['banks'],
      summary: 'Published banks (newest version of each)',
      responses: { 200: jsonResponse('banks', z.array(published)) },
    }),
    async (c) => c.json(await store.list(), 200),
  );

  // Before "/:bankId", or it would take "template.xlsx" for a bank id.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/template.xlsx',
      tags: ['banks'],
      summary: 'The empty spreadsheet template (DESIGN §5)',
      responses: {
        200: {
          description: 'xlsx',
          content: {
            'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
              schema: z.string().openapi({ format: 'binary' }),
            },
          },
        },
      },
    }),
    async (c) => {
      const bytes = await (await importers()).buildTemplateXlsx();
      return c.body(new Uint8Array(bytes), 200, {
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'content-disposition': 'attachment; filename="question-bank-template.xlsx"',
      });
    },
  );

  app.openapi(
    createRoute({
      method: 'put',
      path: '/{bankId}',
      tags: ['banks'],
      summary: 'Publish a new immutable version of a bank (native JSON)',
      request: {
        params: bankParams,
        // Validated by parseBank, whose errors name the question id and field (DESIGN §5).
        body: { content: { 'application/json': { schema: z.unknown() } }, required: true },
      },
      responses: {
        201: jsonResponse('a new version', publishReply),
        200: jsonResponse('the same content was already published', publishReply),
      },
    }),
    async (c) => {
      const { bankId } = c.req.valid('param');
      const r = await store.publish(await c.req.json(), { bankId, fitCheck: fit });
      return c.json(
        {
          bankId: r.bankId,
          version: r.version,
          questions: r.questions,
          byType: r.byType,
          created: r.created,
          warnings: r.warnings,
        },
        r.created ? 201 : 200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/{bankId}',
      tags: ['banks'],
      summary: 'Versions of a bank with counts by type and topic',
      request: { params: bankParams },
      responses: { 200: jsonResponse('versions', versionsReply) },
    }),
    async (c) => {
      const { bankId } = c.req.valid('param');
      const versions = await store.versions(bankId);
      if (!versions.length) throw new AppError('not_found', `题库 ${bankId} 不存在`);
      return c.json(
        {
          bankId,
          versions: versions.map((v) => ({
            ...v,
            createdAt: v.createdAt.toISOString(),
            retiredAt: v.retiredAt?.toISOString() ?? null,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{bankId}/versions/{version}/retire',
      tags: ['banks'],
      summary: 'Retire a version: new tries no longer draw from it; tries drawn from it keep it',
      request: { params: bankParams.extend({ version: z.coerce.number().int().positive() }) },
      responses: {
        200: jsonResponse(
          'retired',
          z.object({ bankId: z.string(), version: z.number().int(), retired: z.literal(true) }),
        ),
      },
    }),
    async (c) => {
      const { bankId, version } = c.req.valid('param');
      await store.retire(bankId, version);
      return c.json({ bankId, version, retired: true as const }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/{bankId}/import',
      tags: ['banks'],
      summary: 'Import a CSV, xlsx, GIFT, Moodle XML, QTI (item or content package .zip) or Aiken file',
      request: {
        params: bankParams,
        query: z.object({
          format: z.enum(IMPORT_FORMATS as [ImportFormat, ...ImportFormat[]]),
          dryRun: z.enum(['true', 'false']).optional(),
          title: z.string().max(200).optional(),
        }),
      },
      responses: {
        201: jsonResponse('published, with the report', importReply),
        200: jsonResponse('dry run, or nothing new', z.union([dryRunReply, importReply])),
      },
    }),
    async (c) => {
      const { bankId } = c.req.valid('param');
      const { format, dryRun, title } = c.req.valid('query');
      const bytes = await fileBytes(c.req.raw);
      // In a worker thread with a heap limit and a wall clock, never on this event loop (run.ts).
      const result = await runImport(format, bytes, { bankId });
      const report = { imported: result.imported, skipped: result.skipped, errors: result.errors, notes: result.notes };
      if (dryRun === 'true') {
        const preview = result.questions.length
          ? await store.publish(
              { bankId, title: title ?? store.latest(bankId)?.title ?? bankId, questions: result.questions },
              { bankId, dryRun: true },
            )
          : null;
        return c.json(
          { bankId, dryRun: true, report, questions: result.questions, warnings: preview?.warnings ?? [] },
          200,
        );
      }
      if (!result.questions.length)
        throw new AppError('import_failed', '文件中没有可导入的选择题 (no importable choice questions in the file)', {
          report,
        });
      const r = await store.publish(
        { bankId, title: title ?? store.latest(bankId)?.title ?? bankId, questions: result.questions },
        { bankId, fitCheck: fit },
      );
      return c.json(
        {
          bankId: r.bankId,
          version: r.version,
          questions: r.questions,
          byType: r.byType,
          created: r.created,
          warnings: r.warnings,
          report,
        },
        r.created ? 201 : 200,
      );
    },
  );
  return app;
}

/** The file is the raw body, or the `file` field of a multipart form. */
async function fileBytes(req: Request): Promise<Uint8Array> {
  const type = req.headers.get('content-type') ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await req.formData().catch(() => {
      throw new AppError('validation_failed', 'multipart 表单无法解析 (malformed multipart body)');
    });
    const file = form.get('file');
    if (!file || typeof file === 'string')
      throw new AppError('validation_failed', '缺少 file 字段 (multipart body needs a "file" field)');
    return new Uint8Array(await file.arrayBuffer());
  }
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (!bytes.length) throw new AppError('validation_failed', '请求体为空 (empty body: send the file)');
  return bytes;
}
