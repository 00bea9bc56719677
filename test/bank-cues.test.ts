// Shipped banks give a test-wise candidate no cue: the key is not usually the longest option, key
// letters and X key sizes are spread, nothing is asked twice, and every explanation names a dated source.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bankCueReport, cueSummary, cueViolations } from '../src/banks/cues.js';
import { parseBank, type Bank, type BankInput } from '../src/banks/schema.js';
import { BANKS_DIR } from '../src/seed.js';

const parse = (input: unknown): Bank => {
  const r = parseBank(input);
  if (!r.ok) throw new Error(JSON.stringify(r.issues.slice(0, 5)));
  return r.bank;
};

const ids = readdirSync(BANKS_DIR)
  .filter((f) => f.endsWith('.json') && f !== 'catalogue.json')
  .map((f) => f.replace(/\.json$/, ''));
const banks = new Map(
  ids.map((id) => [id, parse(JSON.parse(readFileSync(path.join(BANKS_DIR, `${id}.json`), 'utf8')))]),
);

describe('shipped banks carry no answer cues', () => {
  it.each(ids)('%s', (id) => {
    const report = bankCueReport(banks.get(id)!, [...banks.values()]);
    console.log(cueSummary(report));
    expect(cueViolations(report)).toEqual([]);
  });
});

describe('bankCueReport', () => {
  /** Distinct CJK filler text, so that made-up items do not look like near-duplicates of each other. */
  let state = 7;
  const words = (n: number) =>
    Array.from({ length: n }, () =>
      String.fromCodePoint(0x4e00 + ((state = (state * 1103515245 + 12345) % 2 ** 31) % 8000)),
    ).join('');
  const opt = (...texts: string[]) => texts.map((text, i) => ({ key: 'ABCDE'[i] as 'A', text }));
  const year = '（参考：《内科学》第10版，人民卫生出版社，2024年）';
  /** n single items keyed `key`, with the key option made the uniquely longest when `longest`. */
  const singles = (prefix: string, n: number, key: 'A' | 'B' | 'C' | 'D' | 'E', longest: boolean) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${prefix}${i}`,
      type: 'single' as const,
      stem: words(20),
      options: opt(...['A', 'B', 'C', 'D', 'E'].map((k) => words(k === key && longest ? 8 : 6))),
      answer: [key],
      explanation: year,
    }));
  const multiple = (id: string, answer: ('A' | 'B' | 'C' | 'D' | 'E')[]) => ({
    id,
    type: 'multiple' as const,
    stem: words(20),
    options: opt(words(6), words(6), words(6), words(6), words(6)),
    answer,
    explanation: year,
  });
  const bank = (questions: BankInput['questions'], bankId = 'tiny'): Bank =>
    parse({ bankId, title: 'tiny', questions });
  const balanced = () => [
    ...singles('a', 2, 'A', false),
    ...singles('b', 2, 'B', false),
    ...singles('c', 2, 'C', true),
    ...singles('d', 2, 'D', false),
    ...singles('e', 2, 'E', false),
    multiple('x1', ['A', 'B']),
    multiple('x2', ['A', 'C', 'D']),
    multiple('x3', ['B', 'C', 'D', 'E']),
  ];

  it('passes a balanced bank', () => {
    const r = bankCueReport(bank(balanced()));
    expect(r.scoredItems).toBe(13);
    expect(r.singleItems).toBe(10);
    expect(r.longestKeyShare).toBeCloseTo(0.2);
    expect(r.keySizes).toEqual({ 2: 1, 3: 1, 4: 1 });
    expect(cueViolations(r)).toEqual([]);
  });

  it('fails when the key is too often the longest option', () => {
    const qs = balanced();
    qs.splice(0, 2, ...singles('a', 2, 'A', true));
    const r = bankCueReport(bank(qs));
    expect(r.longestKeyShare).toBeCloseTo(0.4);
    expect(cueViolations(r).join()).toMatch(/longest option/);
  });

  it('fails when one key letter dominates', () => {
    const qs = [...singles('a', 6, 'A', false), ...singles('b', 4, 'B', false), ...balanced().slice(10)];
    expect(cueViolations(bankCueReport(bank(qs))).join()).toMatch(/key letter/);
  });

  it('fails when X keys are mostly one size, or keyed with every option', () => {
    const qs = [
      ...balanced().slice(0, 10),
      multiple('x1', ['A', 'B', 'C', 'D']),
      multiple('x2', ['A', 'B', 'C', 'E']),
      multiple('x3', ['A', 'B', 'C', 'D', 'E']),
    ];
    const v = cueViolations(bankCueReport(bank(qs))).join('\n');
    expect(v).toMatch(/X items with 2 keys/);
    expect(v).toMatch(/X items with 4 keys/);
    expect(v).toMatch(/all options/);
  });

  it('fails on duplicates within and across banks, exact or near', () => {
    const qs = balanced();
    const copy = { ...qs[0]!, id: 'copy' };
    const q1 = qs[1] as ReturnType<typeof singles>[number];
    // Same item with a full stop added and one option extended: not exact, but near.
    const near = {
      ...q1,
      id: 'near',
      stem: `${q1.stem}。`,
      options: q1.options.map((o, i) => (i ? o : { ...o, text: `${o.text}等` })),
    };
    const r = bankCueReport(bank([...qs, copy, near]));
    expect(r.duplicateStems.map((p) => [p.a, p.b])).toContainEqual(['a0', 'copy']);
    expect(r.nearDuplicates.map((p) => [p.a, p.b])).toContainEqual(['a1', 'near']);
    const other = bank([{ ...qs[2]!, id: 'elsewhere' }], 'other');
    const cross = bankCueReport(bank(qs), [other]);
    expect(cross.crossDuplicateStems.map((p) => p.b)).toEqual(['elsewhere']);
    expect(cross.crossNearDuplicates.map((p) => p.b)).toEqual(['elsewhere']);
    expect(cueViolations(r).join()).toMatch(/duplicate stems/);
    expect(cueViolations(cross).join()).toMatch(/other banks/);
  });

  it('fails on an explanation without a year', () => {
    const qs = balanced();
    qs[0] = { ...qs[0]!, explanation: '参考：《内科学》第10版' };
    const r = bankCueReport(bank(qs));
    expect(r.missingYear).toEqual(['a0']);
    expect(cueViolations(r).join()).toMatch(/without a year/);
  });
});
