import { describe, expect, it } from 'vitest';
import { parseBank, type Question } from '../schema.js';
import { importBank } from './index.js';

const aiken = (s: string) => importBank('aiken', new TextEncoder().encode(s), { bankId: 'ak' });
const valid = (questions: Question[]) => {
  const r = parseBank({ bankId: 'ak', title: 't', questions });
  return r.ok ? [] : r.issues;
};

describe('Aiken', () => {
  it('reads CRLF files, multi-line stems, "A." and "A)" labels, and questions not separated by a blank line', async () => {
    const src = [
      '医师定期考核的周期是',
      '（单位：年）',
      'A. 1',
      'B. 2',
      'C) 3',
      'D) 5',
      'ANSWER: C',
      'Which is a prime?',
      'A) 4',
      'B) 7',
      'ANSWER:B',
    ].join('\r\n');
    const r = await aiken(src);
    expect(r.errors).toEqual([]);
    expect(r.questions).toHaveLength(2);
    expect(r.questions[0]).toMatchObject({
      id: 'ak-line1',
      type: 'single',
      stem: '医师定期考核的周期是\n（单位：年）',
      answer: ['C'],
    });
    expect(
      r.questions[0]?.type === 'single' && r.questions[0].options.map((o) => [o.key, o.sourceKey, o.text]),
    ).toEqual([
      ['A', 'A', '1'],
      ['B', 'B', '2'],
      ['C', 'C', '3'],
      ['D', 'D', '5'],
    ]);
    expect(r.questions[1]).toMatchObject({ id: 'ak-line8', stem: 'Which is a prime?', answer: ['B'] });
    expect(valid(r.questions)).toEqual([]);
  });

  it('reports incomplete questions by line and keeps reading', async () => {
    const src = [
      'Good one?', // 1
      'A. yes', // 2
      'B. no', // 3
      'ANSWER: A', // 4
      '', // 5
      'No answer line', // 6
      'A. x', // 7
      'B. y', // 8
      '', // 9
      'Answer not an option', // 10
      'A. x', // 11
      'B. y', // 12
      'ANSWER: D', // 13
      '', // 14
      'Only one option', // 15
      'A. x', // 16
      'ANSWER: A', // 17
      'ANSWER: B', // 18
      'Last one', // 19
      'A. p', // 20
      'A. q', // 21
      'ANSWER: A', // 22
      '', // 23
      'Really last', // 24
      'A. 甲', // 25
      'B. <b>乙</b> &amp;', // 26
      'ANSWER: b', // 27
    ].join('\n');
    const r = await aiken(src);
    expect(r.questions.map((q) => q.id)).toEqual(['ak-line1', 'ak-line24']);
    expect(r.questions[1]?.type === 'single' && r.questions[1].options[1]!.text).toBe('<b>乙</b> &amp;');
    expect(r.errors.map((e) => e.ref)).toEqual(['line 6', 'line 10', 'line 15', 'line 18', 'line 21']);
    expect(r.errors[0]!.detail).toContain('缺少 ANSWER 行');
    expect(r.errors[1]!.detail).toContain('不在选项中');
    expect(r.errors[2]!.detail).toContain('选项少于 2 个');
    expect(r.errors[3]!.detail).toContain('前面没有题目');
    expect(r.errors[4]!.detail).toContain('重复');
  });

  it('does not let a block without an ANSWER line swallow the next question', async () => {
    const src = [
      'A stem with neither options nor an answer', // 1
      '', // 2
      'First good one?', // 3
      'A. yes', // 4
      'B. no', // 5
      'ANSWER: A', // 6
      '', // 7
      'Options written the wrong way', // 8
      'a) x', // 9
      'b) y', // 10
      '', // 11
      'Second good one?', // 12
      'A. yes', // 13
      'B. no', // 14
      'ANSWER: B', // 15
      'Chinese answer line', // 16
      'A. 甲', // 17
      'B. 乙', // 18
      '答案：B', // 19
      'Third good one?', // 20
      '', // 21
      'A. yes', // 22
      'B. no', // 23
      'ANSWER: A', // 24
    ].join('\n');
    const r = await aiken(src);
    expect(r.questions.map((q) => [q.id, q.type !== 'case' && q.type !== 'matching' && q.stem])).toEqual([
      ['ak-line3', 'First good one?'],
      ['ak-line12', 'Second good one?'],
      ['ak-line20', 'Third good one?'], // a blank line between a stem and its options is still spacing
    ]);
    expect(r.errors.map((e) => e.ref)).toEqual(['line 1', 'line 8', 'line 16']);
    expect(r.errors[0]!.detail).toContain('缺少选项和 ANSWER 行');
    expect(r.errors[1]!.detail).toContain('缺少选项和 ANSWER 行');
    expect(r.errors[2]!.detail).toContain('第 19 行“答案：B”应写作“ANSWER: 字母”');
    expect(valid(r.questions)).toEqual([]);
  });
});
