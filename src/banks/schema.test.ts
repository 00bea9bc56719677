import { describe, expect, it } from 'vitest';
import { parseBank } from './schema.js';

const opts = ['A', 'B', 'C', 'D'].map((key) => ({ key, text: `选项${key}` }));

describe('the native bank format', () => {
  it("reads a case sub-question's type from its shape when it has none (as DESIGN §5 writes it)", () => {
    const r = parseBank({
      bankId: 'internal-medicine',
      title: '内科',
      questions: [
        {
          id: 'im-c01',
          type: 'case',
          stem: '病例',
          questions: [
            { id: 'im-c01-1', stem: '一', options: opts, answer: ['B'] },
            { id: 'im-c01-2', stem: '二', options: opts, answer: ['A', 'C'] },
            { id: 'im-c01-3', stem: '三', answer: ['F'] },
          ],
        },
      ],
    });
    expect(r.ok).toBe(true);
    if (r.ok && r.bank.questions[0]!.type === 'case')
      expect(r.bank.questions[0]!.questions.map((q) => q.type)).toEqual(['single', 'multiple', 'truefalse']);
  });

  it('names the question and field of each problem, sub-questions included', () => {
    const r = parseBank({
      bankId: 'law',
      title: '法律法规',
      questions: [
        { id: 'q1', type: 'single', stem: 's', options: opts, answer: ['E'] },
        {
          id: 'q2',
          type: 'matching',
          options: opts,
          questions: [
            { id: 'q2-1', stem: 'x', answer: ['A'] },
            { id: 'q1', stem: 'y', answer: ['B'] },
          ],
        },
        { id: 'q3', type: 'truefalse', stem: 's', answer: ['T'], extra: 1 },
        { id: 'q4', type: 'essay', stem: 's' },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ questionId: 'q3', field: '(question)' }),
        expect.objectContaining({ questionId: 'q4', field: 'type' }),
      ]),
    );
    const fixed = parseBank({
      bankId: 'law',
      title: 't',
      questions: [
        { id: 'q1', type: 'single', stem: 's', options: opts, answer: ['E'] },
        { id: 'q2', type: 'matching', options: opts, questions: [{ id: 'q1', stem: 'y', answer: ['B'] }] },
      ],
    });
    expect(fixed.ok).toBe(false);
    if (fixed.ok) return;
    expect(fixed.issues).toEqual([
      { questionId: 'q1', field: 'answer', message: 'key E is not among the options' },
      { questionId: 'q1', field: 'id', message: 'duplicate question id' },
    ]);
  });

  it('accepts ids of any printable Unicode, 1-80 code points, without whitespace, "/" or "\\"', () => {
    const bank = (id: string) =>
      parseBank({ bankId: 'law', title: 't', questions: [{ id, type: 'truefalse', stem: 's', answer: ['T'] }] });
    for (const good of ['法规-0001', 'law-0001', 'Q1:a(b)', '𝔸'.repeat(80), 'é.1'])
      expect(bank(good).ok, good).toBe(true);
    for (const bad of ['', 'a b', 'a/b', 'a\\b', 'a\tb', 'a\u200bb', 'a\u3000b', '𝔸'.repeat(81)]) {
      const r = bank(bad);
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      if (!r.ok) expect(r.issues[0]!.message).toBe('ids are 1-80 printable characters without spaces, "/" or "\\"');
    }
  });
});
