import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { importBank } from './index.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const valid = (questions: Question[]) => {
  const r = parseBank({ bankId: 'law', title: 't', questions });
  return r.ok ? [] : r.issues;
};

const HEADER = '编号,题型,题干,选项A,选项B,选项C,选项D,答案,分值,知识点,难度,解析,组号,组题干';

// The same two questions saved by Excel as "CSV (逗号分隔)" on a Chinese Windows: GBK bytes.
const GBK_SOURCE =
  '编号,题型,题干,选项A,选项B,选项C,选项D,答案\r\n' +
  '1,单选,医师定期考核每几年一个周期？,一年,两年,三年,五年,C\r\n' +
  '2,判断,执业医师可以在注册的执业范围外执业。,,,,,错\r\n';
const GBK_HEX =
  'b1e0bac52ccce2d0cd2ccce2b8c92cd1a1cfee412cd1a1cfee422cd1a1cfee432cd1a1cfee442cb4f0b0b80d0a312cb5a5d1a12cd2bdcaa6b6a8c6dabfbcbacbc3bfbcb8c4ead2bbb8f6d6dcc6daa3bf2cd2bbc4ea2cc1bdc4ea2cc8fdc4ea2ccee5c4ea2c430d0a322cc5d0b6cf2cd6b4d2b5d2bdcaa6bfc9d2d4d4dad7a2b2e1b5c4d6b4d2b5b7b6cea7cde2d6b4d2b5a1a32c2c2c2c2cb4ed0d0a';
const gbkBytes = () => Uint8Array.from(GBK_HEX.match(/../g)!.map((h) => parseInt(h, 16)));

function expectTwoQuestions(questions: Question[]) {
  expect(questions).toHaveLength(2);
  const [q1, q2] = questions;
  expect(q1).toMatchObject({ id: 'law-1', type: 'single', stem: '医师定期考核每几年一个周期？', answer: ['C'] });
  expect(q1?.type === 'single' && q1.options.map((o) => o.text)).toEqual(['一年', '两年', '三年', '五年']);
  expect(q2).toMatchObject({
    id: 'law-2',
    type: 'truefalse',
    stem: '执业医师可以在注册的执业范围外执业。',
    answer: ['F'],
  });
}

describe('CSV encodings', () => {
  it('reads UTF-8 without BOM', async () => {
    const r = await importBank('csv', utf8(GBK_SOURCE), { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expectTwoQuestions(r.questions);
  });

  it('reads UTF-8 with BOM (Excel "CSV UTF-8"), the BOM not leaking into the first header', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(GBK_SOURCE)]);
    const r = await importBank('csv', bytes, { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expect(r.notes).toEqual([]);
    expectTwoQuestions(r.questions);
  });

  it('reads GBK (Excel "CSV (逗号分隔)" on Chinese Windows)', async () => {
    const bytes = gbkBytes();
    // the fixture really is GBK: not valid UTF-8, and it decodes to the source text
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes)).toThrow();
    expect(new TextDecoder('gbk').decode(bytes)).toBe(GBK_SOURCE);
    const r = await importBank('csv', bytes, { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expectTwoQuestions(r.questions);
  });

  it('reads UTF-16 with BOM (Excel "Unicode 文本", tab separated)', async () => {
    const text = GBK_SOURCE.replace(/,/g, '\t');
    const body = new Uint8Array(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      body[2 * i] = text.charCodeAt(i) & 0xff;
      body[2 * i + 1] = text.charCodeAt(i) >> 8;
    }
    const r = await importBank('csv', new Uint8Array([0xff, 0xfe, ...body]), { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expectTwoQuestions(r.questions);
  });
});

describe('CSV rows', () => {
  it('reports malformed rows by their Excel row number and imports the good ones', async () => {
    const csv = [
      HEADER,
      'q1,单选,好题一,甲,乙,丙,丁,B,1,,,,,', // row 2 ok
      'q2,单选,缺答案,甲,乙,丙,丁,,1,,,,,', // row 3: no answer
      'q3,多选,"题干跨行\n第二行",甲,乙,丙,丁,"A, C",2,,,,,', // row 4 (two physical lines, one Excel row)
      'q4,单选,答案越界,甲,乙,,,D,1,,,,,', // row 5: key D has no option
      ',,,,,,,,,,,,,', // row 6: blank
      'q5,单选,多个答案,甲,乙,丙,,AB,,,,,,', // row 7
      'q6,单选,分值错,甲,乙,丙,,A,abc,,,,,', // row 8
      'q7,判断,判断题,,,,,X?,,,,,,', // row 9
      'q8,A9,怪题型,甲,乙,,,A,,,,,,', // row 10
      'q9,单选,选项有空,甲,,丙,,A,,,,,,', // row 11
      'q10,简答,简述医师的义务。,,,,,略,,,,,,', // row 12: skipped
      ',,只有题干,,,,,,,,,,,', // row 13: no type
      'q11,判断,最后一题,,,,,正确,,,,,,', // row 14 ok
    ].join('\r\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'law' });
    expect(r.questions.map((q) => q.id)).toEqual(['law-q1', 'law-q3', 'law-q11']);
    expect(r.imported).toBe(3);
    expect(r.questions[1]).toMatchObject({
      type: 'multiple',
      stem: '题干跨行\n第二行',
      answer: ['A', 'C'],
      points: 2,
      source: 'csv row 4',
    });
    expect(r.errors.map((e) => e.ref)).toEqual([
      'row 3',
      'row 5',
      'row 7',
      'row 8',
      'row 9',
      'row 10',
      'row 11',
      'row 13',
    ]);
    const detail = (ref: string) => r.errors.find((e) => e.ref === ref)!.detail;
    expect(detail('row 3')).toContain('答案为空');
    expect(detail('row 5')).toContain('答案 D 对应的选项为空');
    expect(detail('row 7')).toContain('单选题只能有一个答案');
    expect(detail('row 8')).toContain('分值“abc”无效');
    expect(detail('row 9')).toContain('判断题答案“X?”无法识别');
    expect(detail('row 10')).toContain('无法识别的题型“A9”');
    expect(detail('row 11')).toContain('选项B为空');
    expect(detail('row 13')).toContain('题型为空');
    for (const e of r.errors) expect(e.detail).toMatch(/[\u4e00-\u9fff]/);
    expect(r.skipped).toEqual([{ ref: 'row 12', reason: '不支持的题型：简答题 (short answer)' }]);
    expect(valid(r.questions)).toEqual([]);
  });

  it('accepts answer spellings, English headers and type aliases', async () => {
    const csv = [
      'ID,Type,Stem,A,B,C,D,Answer,Points,Topic,Difficulty,Explanation',
      'a,A1型题,一,甲,乙,丙,丁,ｃ,,,60%,',
      'b,X型题,二,甲,乙,丙,丁,A、C、D,,,,',
      'c,多项选择题,三,甲,乙,丙,丁,"b,d",,,,',
      'd,判断题,四,,,,,√,,,,',
      'e,判断,五,,,,,×,,,,',
      'f,是非题,六,,,,,F,,,,',
      'g,判断,七,正确,错误,,,B,,,,',
      'h,单选,八,甲,乙,,,A,2.5,医师法,0.35,解析文字',
    ].join('\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'law' });
    expect(r.errors).toEqual([]);
    expect(r.questions.map((q) => [q.type, 'answer' in q ? q.answer.join('') : ''])).toEqual([
      ['single', 'C'],
      ['multiple', 'ACD'],
      ['multiple', 'BD'],
      ['truefalse', 'T'],
      ['truefalse', 'F'],
      ['truefalse', 'F'],
      ['truefalse', 'F'],
      ['single', 'A'],
    ]);
    expect(r.questions[0]).toMatchObject({ difficulty: 0.6 });
    expect(r.questions[7]).toMatchObject({ points: 2.5, topic: '医师法', difficulty: 0.35, explanation: '解析文字' });
  });

  it('builds A3/A4 case groups and B1 matching groups from 组号', async () => {
    const csv = [
      HEADER + ',选项E',
      'c1,A3,最可能的诊断是,甲,乙,丙,丁,A,,,,,G1,患者，女，32岁。右下腹痛。,戊',
      's1,单选,独立的题,甲,乙,,,B,,,,,,,',
      'c2,A3,首选的检查是,甲,乙,丙,丁,B,,,,,G1,,',
      'm1,B1,夜盲症,维生素A,维生素B1,维生素C,维生素D,A,,营养,,,B-1,,维生素K',
      'm2,B1,脚气病,,,,,B,,营养,,,B-1,,',
      'x1,A3,没有组题干,甲,乙,,,A,,,,,G2,,',
      'x2,A4,缺组号,甲,乙,,,A,,,,,,,',
      'm3,B1,选项不同,甲,乙,,,A,,,,,B-1,,',
    ].join('\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'im' });
    expect(r.questions.map((q) => [q.id, q.type])).toEqual([
      ['im-case-G1', 'case'],
      ['im-s1', 'single'],
      ['im-b1-B-1', 'matching'],
    ]);
    const [cs, , mt] = r.questions;
    if (cs?.type !== 'case' || mt?.type !== 'matching') throw new Error('group types');
    expect(cs.stem).toBe('患者，女，32岁。右下腹痛。');
    expect(cs.questions.map((q) => [q.id, q.answer[0]])).toEqual([
      ['im-c1', 'A'],
      ['im-c2', 'B'],
    ]);
    expect(cs.questions[0]?.type === 'single' && cs.questions[0].options).toHaveLength(5);
    expect(mt.options.map((o) => o.text)).toEqual(['维生素A', '维生素B1', '维生素C', '维生素D', '维生素K']);
    expect(mt.questions.map((q) => [q.id, q.stem, q.answer[0]])).toEqual([
      ['im-m1', '夜盲症', 'A'],
      ['im-m2', '脚气病', 'B'],
    ]);
    expect(mt.topic).toBe('营养');
    expect(r.imported).toBe(5); // 2 case questions + 1 single + 2 matching items
    expect(r.errors.map((e) => e.ref)).toEqual(['row 7', 'row 8', 'row 9']);
    expect(r.errors[2]!.detail).toContain('选项不一致');
    expect(r.errors[0]!.detail).toContain('没有组题干');
    expect(r.errors[1]!.detail).toContain('缺少组号');
    expect(valid(r.questions)).toEqual([]);
  });

  it('derives unique, valid ids from the bank id and 编号 (or the row)', async () => {
    const csv = [
      HEADER,
      'law-7,单选,一,甲,乙,,,A,,,,,,',
      '第 7 题,单选,二,甲,乙,,,A,,,,,,',
      '7,单选,三,甲,乙,,,A,,,,,,',
      ',单选,四,甲,乙,,,A,,,,,,',
    ].join('\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'law' });
    expect(r.questions.map((q) => q.id)).toEqual(['law-7', 'law-7-2', 'law-7-3', 'law-row5']);
    expect(valid(r.questions)).toEqual([]);
  });

  it('keeps cell text as text: no HTML interpretation', async () => {
    const csv = [HEADER, 'h,单选,"<b>粗体</b> &amp; <script>x</script>",<i>甲</i>,乙,,,A,,,,,,'].join('\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'law' });
    const q = r.questions[0]!;
    expect(q.type === 'single' && q.stem).toBe('<b>粗体</b> &amp; <script>x</script>');
    expect(q.type === 'single' && q.options[0]!.text).toBe('<i>甲</i>');
  });

  it('reports an unclosed quote with its row and keeps the rows before it', async () => {
    const csv = [
      HEADER,
      'a,单选,好,甲,乙,,,A,,,,,,',
      'b,单选,"坏,甲,乙,,,A,,,,,,',
      'c,单选,读不到,甲,乙,,,A,,,,,,',
    ].join('\n');
    const r = await importBank('csv', utf8(csv), { bankId: 'law' });
    expect(r.questions.map((q) => q.id)).toEqual(['law-a']);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.ref).toBe('row 3');
    expect(r.errors[0]!.detail).toContain('引号未闭合');
  });

  it('reports a file without the template header', async () => {
    const r = await importBank('csv', utf8('foo,bar\n1,2\n'), { bankId: 'law' });
    expect(r.questions).toEqual([]);
    expect(r.errors).toEqual([{ ref: 'row 1', detail: expect.stringContaining('找不到表头') }]);
    const r2 = await importBank('csv', utf8('编号,题干,选项A\n1,2,3\n'), { bankId: 'law' });
    expect(r2.errors).toEqual([{ ref: 'row 1', detail: expect.stringContaining('缺少必需的列：题型、答案') }]);
  });
});
