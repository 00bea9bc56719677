import ExcelJS from 'exceljs';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { buildTemplateXlsx, importBank, TEMPLATE_EXAMPLES, TEMPLATE_HEADERS } from './index.js';

const valid = (bankId: string, questions: Question[]) => {
  const r = parseBank({ bankId, title: 't', questions });
  return r.ok ? [] : r.issues;
};

async function toBytes(wb: ExcelJS.Workbook): Promise<Uint8Array> {
  return new Uint8Array(await wb.xlsx.writeBuffer());
}

describe('xlsx import', () => {
  it('reads the first worksheet: rich text, numbers, booleans, formulas and hyperlinks', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('题库');
    wb.addWorksheet('别的表').addRow(['编号', '题型', '题干', '选项A', '选项B', '答案']).commit();
    ws.addRow(['题库：医师法']); // a title row above the header is ignored
    ws.addRow(TEMPLATE_HEADERS);
    ws.addRow([
      1001,
      '单选',
      { richText: [{ text: '医师' }, { font: { bold: true }, text: '定期考核' }, { text: '的周期是' }] },
      '一年',
      '两年',
      '三年',
      '',
      '',
      '',
      '',
      '',
      { formula: 'LOWER("C")', result: 'c' },
      2,
      { text: '医师法', hyperlink: 'https://example.org' },
      0.5,
    ]);
    ws.addRow(['', '判断', '题干是布尔答案', '', '', '', '', '', '', '', '', true]);
    ws.addRow(['', '多选', '数字选项', 10, 20, 30, 40, '', '', '', '', 'B,D', { formula: '1+2', result: 3 }]);
    const r = await importBank('xlsx', await toBytes(wb), { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expect(r.questions).toHaveLength(3);
    expect(r.questions[0]).toMatchObject({
      id: 'law-1001',
      type: 'single',
      stem: '医师定期考核的周期是',
      answer: ['C'],
      points: 2,
      topic: '医师法',
      difficulty: 0.5,
      source: 'xlsx row 3',
    });
    expect(r.questions[1]).toMatchObject({ id: 'law-row4', type: 'truefalse', answer: ['T'] });
    expect(r.questions[2]).toMatchObject({ type: 'multiple', answer: ['B', 'D'], points: 3 });
    expect(r.questions[2]?.type === 'multiple' && r.questions[2].options.map((o) => o.text)).toEqual([
      '10',
      '20',
      '30',
      '40',
    ]);
    expect(valid('law', r.questions)).toEqual([]);
  });

  it('reports bad rows with their Excel row number, error values included, and keeps the good ones', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('题目');
    ws.addRow(TEMPLATE_HEADERS);
    ws.addRow(['a', '单选', '好题', '甲', '乙', '', '', '', '', '', '', 'A']); // row 2
    ws.addRow([
      'b',
      '单选',
      { formula: 'VLOOKUP(1,Z1:Z2,2,0)', result: { error: '#N/A' } },
      '甲',
      '乙',
      '',
      '',
      '',
      '',
      '',
      '',
      'A',
    ]); // row 3
    ws.addRow(['c', '单选', '没有选项', '', '', '', '', '', '', '', '', 'A']); // row 4
    ws.addRow([]); // row 5 blank
    ws.getRow(6).values = ['d', '填空', '____是医师的义务', '', '', '', '', '', '', '', '', '略']; // row 6
    ws.getRow(7).values = ['e', '单选', '又一道好题', '甲', '乙', '', '', '', '', '', '', 'B']; // row 7
    const r = await importBank('xlsx', await toBytes(wb), { bankId: 'law' });
    expect(r.questions.map((q) => q.id)).toEqual(['law-a', 'law-e']);
    expect(r.errors.map((e) => e.ref)).toEqual(['row 3', 'row 4']);
    expect(r.errors[0]!.detail).toContain('#N/A');
    expect(r.errors[0]!.detail).toContain('C3');
    expect(r.errors[1]!.detail).toContain('选项少于 2 个');
    expect(r.skipped).toEqual([{ ref: 'row 6', reason: '不支持的题型：填空题 (fill in the blank)' }]);
  });

  it('reads merged 组号/组题干 cells of an A3 group', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('题目');
    ws.addRow(TEMPLATE_HEADERS);
    const g = TEMPLATE_HEADERS.indexOf('组号') + 1;
    ws.addRow(['', 'A3', '诊断', '甲', '乙', '', '', '', '', '', '', 'A', '', '', '', '', 'G', '病例：发热三天']);
    ws.addRow(['', 'A4', '治疗', '甲', '乙', '', '', '', '', '', '', 'B']);
    ws.mergeCells(2, g, 3, g);
    ws.mergeCells(2, g + 1, 3, g + 1);
    const r = await importBank('xlsx', await toBytes(wb), { bankId: 'im' });
    expect(r.errors).toEqual([]);
    expect(r.questions).toHaveLength(1);
    const q = r.questions[0]!;
    expect(q.type === 'case' && [q.stem, q.questions.length]).toEqual(['病例：发热三天', 2]);
    expect(r.imported).toBe(2);
  });

  it('reports a file that is not an xlsx instead of throwing', async () => {
    const r = await importBank('xlsx', new TextEncoder().encode('编号,题型\n'), { bankId: 'law' });
    expect(r.questions).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ ref: 'file', detail: expect.stringContaining('无法读取 xlsx 文件') });
    const xls = await importBank('xlsx', new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]), { bankId: 'law' });
    expect(xls.errors[0]!.detail).toContain('.xls');
  });
});

describe('the spreadsheet template', () => {
  it('has the header of DESIGN §5, a 说明 sheet and a 示例 sheet', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await buildTemplateXlsx()) as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['题目', '说明', '示例']);
    const first = wb.worksheets[0]!;
    expect((first.getRow(1).values as unknown[]).slice(1)).toEqual([
      '编号',
      '题型',
      '题干',
      '选项A',
      '选项B',
      '选项C',
      '选项D',
      '选项E',
      '选项F',
      '选项G',
      '选项H',
      '答案',
      '分值',
      '知识点',
      '难度',
      '解析',
      '组号',
      '组题干',
    ]);
    expect(first.actualRowCount).toBe(1);
    const help = wb.getWorksheet('说明')!;
    const helpText = JSON.stringify(help.getSheetValues());
    for (const word of ['编号', '组题干', '单选、A1、A2', '多选、X', '判断', 'A3、A4', 'B1', 'GBK'])
      expect(helpText).toContain(word);
    const examples = wb.getWorksheet('示例')!;
    expect(examples.actualRowCount).toBe(1 + TEMPLATE_EXAMPLES.length);
    const types = new Set(TEMPLATE_EXAMPLES.map((r) => r[1]));
    for (const t of ['A1', 'A2', '多选', '判断', 'A3', 'B1']) expect(types.has(t)).toBe(true);
  });

  it('imports as-is to 0 questions, no errors, no skipped', async () => {
    const r = await importBank('xlsx', new Uint8Array(await buildTemplateXlsx()), { bankId: 'law' });
    expect(r).toEqual({ imported: 0, skipped: [], errors: [], notes: [], questions: [] });
  });

  it('imports its example rows, once pasted into the first sheet, as every native type', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await buildTemplateXlsx()) as unknown as ArrayBuffer);
    const first = wb.worksheets[0]!;
    TEMPLATE_EXAMPLES.forEach((row) => first.addRow(row));
    const r = await importBank('xlsx', await toBytes(wb), { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expect(r.skipped).toEqual([]);
    expect(r.questions.map((q) => q.type)).toEqual(['single', 'single', 'multiple', 'truefalse', 'case', 'matching']);
    expect(r.imported).toBe(TEMPLATE_EXAMPLES.length);
    expect(valid('law', r.questions)).toEqual([]);
    // and the same rows as CSV give the same questions
    const csv = [TEMPLATE_HEADERS, ...TEMPLATE_EXAMPLES]
      .map((row) => row.map((c) => `"${c.replace(/"/g, '""')}"`).join(','))
      .join('\r\n');
    const fromCsv = await importBank('csv', new TextEncoder().encode(csv), { bankId: 'law' });
    const neutral = (qs: Question[]) => JSON.parse(JSON.stringify(qs).replace(/"(csv|xlsx) (rows?) /g, '"$2 '));
    expect(neutral(fromCsv.questions)).toEqual(neutral(r.questions));
    expect(r.questions[0]!.source).toBe('xlsx row 2');
    expect(fromCsv.questions[0]!.source).toBe('csv row 2');
  });
});

/** A minimal xlsx written by hand: `rows` are the <row> elements of its one worksheet. */
function rawXlsx(rows: string): Uint8Array {
  const files = {
    '[Content_Types].xml': `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
    '_rels/.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    'xl/workbook.xml': `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="题目" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
    'xl/worksheets/sheet1.xml': `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`,
  };
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])), { level: 9 });
}
const inline = (ref: string, s: string) => `<c r="${ref}" t="inlineStr"><is><t>${s}</t></is></c>`;
const header = `<row r="1">${['题型', '题干', '选项A', '选项B', '答案'].map((h, i) => inline(`${'ABCDE'[i]}1`, h)).join('')}</row>`;
const question = `<row r="2">${['单选', '一加一等于几？', '2', '3', 'A'].map((h, i) => inline(`${'ABCDE'[i]}2`, h)).join('')}</row>`;

describe('xlsx: hostile workbooks', () => {
  it('a cell at column XFD on every row costs nothing: cells right of column BL are dropped with a note', async () => {
    let rows = header + question;
    for (let r = 3; r <= 5000; r++) rows += `<row r="${r}">${inline(`XFD${r}`, 'x')}</row>`;
    const bytes = rawXlsx(rows);
    expect(bytes.byteLength).toBeLessThan(40_000);
    const r = await importBank('xlsx', bytes, { bankId: 'wide' });
    expect(r.imported).toBe(1);
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([{ ref: 'file', detail: expect.stringContaining('4998') }]);
  });

  it('a merged range over the whole sheet and a validation on every cell are refused or ignored, not expanded', async () => {
    const merged = zipSync({
      ...unzipSync(rawXlsx(header + question)),
      'xl/worksheets/sheet1.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${header + question}</sheetData><mergeCells count="1"><mergeCell ref="F1:XFD1048576"/></mergeCells></worksheet>`,
      ),
    });
    await expect(importBank('xlsx', merged, { bankId: 'wide' })).rejects.toMatchObject({ code: 'import_failed' });
    const validated = zipSync({
      ...unzipSync(rawXlsx(header + question)),
      'xl/worksheets/sheet1.xml': strToU8(
        `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${header + question}</sheetData><dataValidations count="1"><dataValidation type="list" sqref="A1:XFD1048576"><formula1>"a,b"</formula1></dataValidation></dataValidations></worksheet>`,
      ),
    });
    const r = await importBank('xlsx', validated, { bankId: 'wide' });
    expect(r.imported).toBe(1);
  });

  it('more rows than the limit is a 422', async () => {
    let rows = header;
    for (let r = 2; r <= 100_002; r++) rows += `<row r="${r}"/>`;
    await expect(importBank('xlsx', rawXlsx(rows), { bankId: 'wide' })).rejects.toMatchObject({
      code: 'import_failed',
      status: 422,
    });
  });
});
