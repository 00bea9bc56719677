import { describe, expect, it } from 'vitest';
import { leafCount, parseBank } from './schema.js';
import { SYNTHETIC_MARK, synthBank } from './synth.js';

describe('synthetic banks', () => {
  it('are valid, of the size asked, and marked synthetic everywhere a reader looks', () => {
    for (const items of [1, 80, 301]) {
      const r = parseBank(synthBank({ bankId: 'internal-medicine', title: '内科', items }));
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.bank.questions.reduce((s, q) => s + leafCount(q), 0)).toBe(items);
      expect(r.bank.title).toContain('合成');
      for (const q of r.bank.questions) {
        expect(q.topic).toContain('合成');
        if (q.type !== 'matching') expect(q.stem.startsWith(SYNTHETIC_MARK)).toBe(true);
      }
    }
    const r = parseBank(synthBank({ bankId: 'x', title: 'x', items: 300 }));
    expect(
      r.ok && r.bank.questions.some((q) => q.type === 'case') && r.bank.questions.some((q) => q.type === 'matching'),
    ).toBe(true);
  });
});
