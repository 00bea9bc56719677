// Hostile import files while a candidate keeps using the engine: each import is refused with a 4xx
// problem+json, and the candidate's requests keep being answered (imports run in a worker thread
// with a heap limit and a wall clock, and the readers bound sizes, cells and regex work). The probe
// latency is logged for each import, not asserted: speed is for the benchmarks.
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestEngine, type TestEngine } from './support/engine.js';
import { makeBank, openWindow, registration } from './support/fixtures.js';
import { login } from './support/sitting.js';

let t: TestEngine;
let token = '';

beforeAll(async () => {
  t = await startTestEngine();
  expect((await t.admin('PUT', '/v1/admin/banks/law', makeBank('law', 30))).status).toBe(201);
  expect(
    (await t.admin('PUT', '/v1/admin/cycles/safe', { title: '导入安全', ...openWindow(), policy: 'beijing' })).status,
  ).toBe(200);
  const reg = registration();
  const r = await t.admin('POST', '/v1/admin/cycles/safe/candidates', { candidates: [reg] });
  expect(r.body.results[0].status).toBe('created');
  token = await login(t, reg.idNumber, reg.password);
});
afterAll(async () => t?.close());

/** A minimal xlsx written by hand around one worksheet's XML. */
function rawXlsx(sheetXml: string): Uint8Array {
  const files: Record<string, string> = {
    '[Content_Types].xml': `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="题目" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${sheetXml}</worksheet>`,
  };
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])), { level: 9 });
}

function xfdXlsx(rows: number): Uint8Array {
  let xml = '<dimension ref="A1:XFD' + rows + '"/><sheetData>';
  for (let r = 1; r <= rows; r++) xml += `<row r="${r}"><c r="XFD${r}" t="inlineStr"><is><t>x</t></is></c></row>`;
  return rawXlsx(`${xml}</sheetData>`);
}

function mergedXlsx(): Uint8Array {
  return rawXlsx('<sheetData/><mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>');
}

/** A QTI content package of one item of about 44 MiB (it compresses to a few tens of KB). */
function qtiBomb(): Uint8Array {
  const item = `<?xml version="1.0" encoding="UTF-8"?><assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="big" title="big"><responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier"><correctResponse><value>A</value></correctResponse></responseDeclaration><itemBody><p>${'x'.repeat(44 * 1024 * 1024)}</p><choiceInteraction responseIdentifier="RESPONSE" maxChoices="1"><simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">b</simpleChoice></choiceInteraction></itemBody></assessmentItem>`;
  const manifest = `<?xml version="1.0" encoding="UTF-8"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="m"><resources><resource identifier="big" type="imsqti_item_xmlv2p1" href="big.xml"><file href="big.xml"/></resource></resources></manifest>`;
  return zipSync({ 'imsmanifest.xml': strToU8(manifest), 'big.xml': strToU8(item) }, { level: 9 });
}

const giftLine = () => strToU8(`::Q1:: [markdown]![a](${'x'.repeat(120_000)} {=yes ~no}\n`);

const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)]! : 0;
};

/** Posts one file while a candidate keeps asking GET /v1/me; answers the import and the probes. */
async function importWhileProbing(format: string, bytes: Uint8Array) {
  let done = false;
  const probes: { status: number; ms: number }[] = [];
  const loop = (async () => {
    while (!done) {
      const start = performance.now();
      const r = await fetch(`${t.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      await r.arrayBuffer();
      probes.push({ status: r.status, ms: performance.now() - start });
    }
  })();
  const started = performance.now();
  const r = await fetch(`${t.url}/v1/admin/banks/hostile/import?format=${format}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/octet-stream' },
    body: bytes,
  });
  const body = (await r.json()) as Record<string, unknown>;
  const importMs = performance.now() - started;
  done = true;
  await loop;
  return { status: r.status, type: r.headers.get('content-type') ?? '', body, probes, importMs };
}

describe('hostile imports while a candidate is sitting', () => {
  it.each([
    ['xlsx, one cell at column XFD on each of 20,000 rows', 'xlsx', () => xfdXlsx(20_000), 422],
    ['xlsx, one merged range over the whole sheet', 'xlsx', mergedXlsx, 422],
    ['QTI package, one 44 MiB item', 'qti', qtiBomb, 413],
    ['GIFT, a 120 KB [markdown] line with an unclosed image', 'gift', giftLine, 422],
  ])('%s: a 4xx problem+json, and the candidate is answered throughout', async (name, format, build, status) => {
    const bytes = build();
    const r = await importWhileProbing(format, bytes);
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.type).toContain('application/problem+json');
    expect(r.body).toMatchObject({ status, code: status === 413 ? 'payload_too_large' : 'import_failed' });
    expect(String(r.body.detail)).toMatch(/[\u4e00-\u9fff].*\(.*[a-z]/);
    expect(r.probes.length).toBeGreaterThan(0);
    expect(r.probes.filter((p) => p.status !== 200)).toEqual([]);
    const lat = r.probes.map((p) => p.ms);
    console.log(
      `[import-safety] ${name}: ${(bytes.byteLength / 1024).toFixed(0)} KB → ${r.status} in ${r.importMs.toFixed(0)} ms; ` +
        `${lat.length} probes GET /v1/me, p99 ${p99(lat).toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms`,
    );
  });

  it('the engine still imports a good file afterwards', async () => {
    const r = await t.call('POST', '/v1/admin/banks/after/import?format=gift', {
      token: ADMIN_TOKEN,
      raw: strToU8('::Q1:: 1+1? {=2 ~3 ~4}\n'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body.report.imported).toBe(1);
  });
});
