import { describe, expect, it } from 'vitest';
import { parseBank } from '../banks/schema.js';
import { indexBank } from '../banks/version.js';
import { displayKeys, drawPaper, drawSection } from './draw.js';
import { seededRng } from './random.js';

function bank(singles: number, cases = 0, matchings = 0, extra: object[] = []) {
  const q = (id: string) => ({
    id,
    type: 'single',
    stem: id,
    answer: ['A'],
    options: ['A', 'B', 'C', 'D'].map((key) => ({ key, text: `${id}${key}` })),
  });
  const questions: object[] = Array.from({ length: singles }, (_, i) => q(`s${i}`));
  for (let c = 0; c < cases; c++)
    questions.push({ id: `c${c}`, type: 'case', stem: 'case', questions: [q(`c${c}a`), q(`c${c}b`), q(`c${c}c`)] });
  for (let m = 0; m < matchings; m++)
    questions.push({
      id: `m${m}`,
      type: 'matching',
      options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({ key, text: `m${m}${key}` })),
      questions: [1, 2].map((j) => ({ id: `m${m}-${j}`, stem: 'x', answer: ['B'] })),
    });
  questions.push(...extra);
  const parsed = parseBank({ bankId: 'b', title: 't', questions });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return indexBank(parsed.bank, 1, 'h');
}

const items = (r: ReturnType<typeof drawSection>) => (r.ok ? r.units.flatMap((u) => u.items.map((i) => i.id)) : []);

describe('drawing a section', () => {
  it('is reproducible from its seed and takes exactly the item count and points', () => {
    const b = bank(60, 8, 6);
    const one = drawSection(b, 40, 40, new Set(), seededRng('seed', 's'));
    const two = drawSection(b, 40, 40, new Set(), seededRng('seed', 's'));
    expect(one).toEqual(two);
    expect(items(one)).toHaveLength(40);
    expect(new Set(items(one)).size).toBe(40);
    expect(items(drawSection(b, 40, 40, new Set(), seededRng('other', 's')))).not.toEqual(items(one));
  });

  it('draws case and matching groups whole', () => {
    const b = bank(10, 10, 10);
    for (let s = 0; s < 20; s++) {
      const r = drawSection(b, 30, 30, new Set(), seededRng(String(s)));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      for (const u of r.units) expect(u.items.length).toBe(b.unitById.get(u.id)!.items.length);
      expect(items(r)).toHaveLength(30);
    }
  });

  it('avoids items seen in earlier tries while the bank has enough others', () => {
    const b = bank(100);
    const first = new Set(items(drawSection(b, 40, 40, new Set(), seededRng('1'))));
    const second = items(drawSection(b, 40, 40, first, seededRng('2')));
    expect(second.filter((id) => first.has(id))).toEqual([]);
    const both = new Set([...first, ...second]);
    const third = drawSection(b, 40, 40, both, seededRng('3'));
    expect(third.ok && third.reusedItems).toBe(20);
    expect(items(third).filter((id) => !both.has(id))).toHaveLength(20);
  });

  it('reports a bank too small, and a section it cannot fill exactly', () => {
    expect(drawSection(bank(10), 20, 20, new Set(), seededRng('x'))).toEqual({ ok: false, available: 10, needed: 20 });
    // Only groups of three: 10 items cannot be made.
    expect(drawSection(bank(0, 5), 10, 10, new Set(), seededRng('x')).ok).toBe(false);
  });

  it('shuffles options, keeps fixed ones in place, one order per matching group, true/false as T/F', () => {
    const fixed = {
      id: 'fx',
      type: 'single',
      stem: 'fx',
      answer: ['A'],
      options: [
        { key: 'A', text: 'a' },
        { key: 'B', text: 'b' },
        { key: 'C', text: 'c' },
        { key: 'D', text: '以上都不是', fixed: true },
      ],
    };
    const noShuffle = {
      ...fixed,
      id: 'ns',
      shuffle: false,
      options: fixed.options.map(({ key, text }) => ({ key, text })),
    };
    const tf = { id: 'tf', type: 'truefalse', stem: 'tf', answer: ['T'] };
    const b = bank(0, 0, 1, [fixed, noShuffle, tf]);
    const orders = new Set<string>();
    for (let s = 0; s < 30; s++) {
      const r = drawSection(b, 5, 5, new Set(), seededRng(String(s)));
      if (!r.ok) throw new Error('draw failed');
      const all = r.units.flatMap((u) => u.items);
      const fx = all.find((i) => i.id === 'fx')!;
      expect(fx.order[3]).toBe('D');
      orders.add(fx.order.join(''));
      expect(all.find((i) => i.id === 'ns')!.order).toEqual(['A', 'B', 'C', 'D']);
      const t = all.find((i) => i.id === 'tf')!;
      expect(displayKeys(t)).toEqual(['T', 'F']);
      const [m1, m2] = all.filter((i) => i.id.startsWith('m0-'));
      expect(m1!.order).toEqual(m2!.order);
      expect(displayKeys(m1!)).toEqual(['A', 'B', 'C', 'D', 'E']);
    }
    expect(orders.size).toBeGreaterThan(1);
  });
});

describe('drawing a paper', () => {
  const section = (id: string, items: number) => ({
    id,
    title: id,
    bank: 'b',
    durationSec: 60,
    items,
    points: items,
    passMark: 1,
  });
  const request = (seed: string, sections: ReturnType<typeof section>[], b = bank(30, 2, 2)) => ({
    exam: {
      id: 'e',
      title: 'e',
      maxAttempts: 3,
      passRule: 'all-sections' as const,
      procedures: ['general' as const],
      sections,
    },
    policyId: null,
    level: 'physician' as const,
    specialty: 'x',
    seen: () => new Set<string>(),
    seed,
    latest: () => b,
  });

  it('never shows an item twice in one try, even when two sections share a bank', () => {
    for (const seed of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
      const paper = drawPaper(request(seed, [section('one', 20), section('two', 20)]));
      const ids = paper.sections.flatMap((s) => s.units.flatMap((u) => u.items.map((i) => i.id)));
      expect(ids).toHaveLength(40);
      expect(new Set(ids).size).toBe(40);
    }
  });

  it('is bank_too_small when the sections together need more items than the bank has', () => {
    expect(() => drawPaper(request('a', [section('one', 30), section('two', 20)]))).toThrow(
      expect.objectContaining({ code: 'bank_too_small' }),
    );
  });
});
