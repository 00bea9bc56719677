// Importing the files admins already have, through HTTP: one request each, a report that accounts for
// every question, and nothing published on a dry run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync, strToU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from './support/engine.js';

const CONFORMANCE = fileURLToPath(new URL('./fixtures/conformance', import.meta.url));
const file = (p: string) => readFileSync(path.join(CONFORMANCE, p));
// Two questions saved by Excel as CSV on a Chinese Windows (GBK): 单选 "医师定期考核每几年一个周期？" (C) and 判断 (错).
const GBK_CSV = Uint8Array.from(
  'b1e0bac52ccce2d0cd2ccce2b8c92cd1a1cfee412cd1a1cfee422cd1a1cfee432cd1a1cfee442cb4f0b0b80d0a312cb5a5d1a12cd2bdcaa6b6a8c6dabfbcbacbc3bfbcb8c4ead2bbb8f6d6dcc6daa3bf2cd2bbc4ea2cc1bdc4ea2cc8fdc4ea2ccee5c4ea2c430d0a322cc5d0b6cf2cd6b4d2b5d2bdcaa6bfc9d2d4d4dad7a2b2e1b5c4d6b4d2b5b7b6cea7cde2d6b4d2b5a1a32c2c2c2c2cb4ed0d0a'
    .match(/../g)!
    .map((h) => parseInt(h, 16)),
);

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine();
});
afterAll(async () => t?.close());

const upload = (
  bankId: string,
  format: string,
  body: Uint8Array,
  query = '',
  contentType = 'application/octet-stream',
) =>
  t.call('POST', `/v1/admin/banks/${bankId}/import?format=${format}${query}`, {
    token: ADMIN_TOKEN,
    raw: body,
    headers: { 'content-type': contentType },
  });

describe('imports through HTTP', () => {
  it.each([
    ['moodlexml', 'moodlexml/nested_categories_with_questions.xml', 4, 1],
    ['moodlexml', 'moodlexml/multichoice.xml', 1, 0],
    ['gift', 'gift/examples.txt', 23, 20],
    ['gift', 'gift/questions.gift.txt', 5, 4],
    ['aiken', 'aiken/questions.aiken.txt', 2, 0],
    ['qti', 'qti21/choice_multiple.xml', 1, 0],
    ['qti', 'qti30/QUE_1_1.xml', 1, 0],
  ])('%s %s: %i imported, %i skipped, every question accounted for', async (format, name, imported, skipped) => {
    const bankId = `imp-${format}-${imported}-${skipped}`;
    const r = await upload(bankId, format, file(name));
    expect(r.status, r.text).toBe(201);
    expect(r.body.report.imported).toBe(imported);
    expect(r.body.report.skipped).toHaveLength(skipped);
    for (const s of r.body.report.skipped) expect(s.reason).toMatch(/[\u4e00-\u9fff]/);
    expect(r.body.questions).toBe(imported);
    const versions = await t.admin('GET', `/v1/admin/banks/${bankId}`);
    expect(versions.body.versions[0].version).toBe(r.body.version);
  });

  it('a GBK CSV saved by Excel, as multipart with a file field', async () => {
    const form = new FormData();
    form.append('file', new Blob([GBK_CSV]), 'bank.csv');
    const res = await fetch(`${t.url}/v1/admin/banks/gbk/import?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: form,
    });
    const body = (await res.json()) as any;
    expect(res.status).toBe(201);
    expect(body.report).toMatchObject({ imported: 2, skipped: [], errors: [] });
    expect(body.byType).toEqual({ single: 1, truefalse: 1 });
  });

  it('a QTI content package with a manifest', async () => {
    const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><resources>
<resource identifier="r1" type="imsqti_item_xmlv2p1" href="items/choice.xml"><file href="items/choice.xml"/></resource>
<resource identifier="r2" type="imsqti_item_xmlv2p1" href="items/choice_multiple.xml"><file href="items/choice_multiple.xml"/></resource>
</resources></manifest>`;
    const zip = zipSync({
      'imsmanifest.xml': strToU8(manifest),
      'items/choice.xml': new Uint8Array(file('qti21/choice.xml')),
      'items/choice_multiple.xml': new Uint8Array(file('qti21/choice_multiple.xml')),
    });
    const r = await upload('qti-package', 'qti', zip, '', 'application/zip');
    expect(r.status, r.text).toBe(201);
    expect(r.body.report.imported).toBe(2);
    expect(r.body.byType).toEqual({ single: 1, multiple: 1 });
  });

  it('a dry run returns the questions and the report and publishes nothing', async () => {
    const r = await upload('dry', 'gift', file('gift/mcHTMLComment.gift'), '&dryRun=true');
    expect(r.status).toBe(200);
    expect(r.body.dryRun).toBe(true);
    expect(r.body.report.imported).toBe(1);
    expect(r.body.questions[0].options.find((o: any) => r.body.questions[0].answer.includes(o.key)).text).toBe(
      'Nunca.',
    );
    expect((await t.admin('GET', '/v1/admin/banks/dry')).status).toBe(404);
  });

  it('Aiken text stays text: markup is stored as characters, never as HTML', async () => {
    const r = await upload('aiken-text', 'aiken', file('aiken/questions.aiken.txt'), '&dryRun=true');
    expect(r.body.questions.map((q: any) => q.stem).join('\n')).toContain('<html class="cool"> &');
  });

  it('a file with nothing importable is a 422 with its report; malformed parts are named', async () => {
    const r = await upload('empty', 'aiken', new TextEncoder().encode('This is not an Aiken question at all\n'));
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('import_failed');
    expect(r.body.report.errors.length).toBeGreaterThan(0);
    expect(r.body.report.errors[0].ref).toBeTruthy();
    expect((await t.admin('GET', '/v1/admin/banks/empty')).status).toBe(404);
  });

  it('bad requests: unknown format, empty body, no file field, body over 1 MiB accepted for imports', async () => {
    expect((await upload('x', 'docx', new Uint8Array([1]))).body.code).toBe('validation_failed');
    expect((await upload('x', 'csv', new Uint8Array())).body.code).toBe('validation_failed');
    const form = new FormData();
    form.append('other', 'x');
    const res = await fetch(`${t.url}/v1/admin/banks/x/import?format=csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: form,
    });
    expect(res.status).toBe(400);
    // Imports may be up to 50 MiB: a 2 MiB sheet is read, not refused for its size.
    const rows = ['编号,题型,题干,选项A,选项B,答案'];
    for (let i = 1, size = 0; size < 2 * 1024 * 1024; i++) {
      rows.push(`b${i},单选,第${i}题 ${'很长的题干'.repeat(20)},甲,乙,A`);
      size += Buffer.byteLength(rows[rows.length - 1]!) + 1;
    }
    const big = await upload('big', 'csv', new TextEncoder().encode(rows.join('\n')));
    expect(big.status, big.text.slice(0, 300)).toBe(201);
    expect(big.body.report.imported).toBe(rows.length - 1);
  });

  it('serves the empty spreadsheet template, which imports to nothing', async () => {
    const res = await fetch(`${t.url}/v1/admin/banks/template.xlsx`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes[0]).toBe(0x50); // a zip: "PK"
    const r = await upload('tpl', 'xlsx', bytes, '&dryRun=true');
    expect(r.body.report).toMatchObject({ imported: 0, skipped: [], errors: [] });
  });
});
