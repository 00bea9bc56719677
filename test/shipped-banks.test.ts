// The content that ships: valid, large enough for the Beijing paper, and without repeats across tries.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalogue } from '../src/catalogue/catalogue.js';
import { parseBank, type Bank } from '../src/banks/schema.js';
import { bankWarnings } from '../src/banks/store.js';
import { indexBank } from '../src/banks/version.js';
import { drawSection } from '../src/papers/draw.js';
import { seededRng } from '../src/papers/random.js';
import { BANKS_DIR } from '../src/seed.js';

const files = readdirSync(BANKS_DIR).filter((f) => f.endsWith('.json') && f !== 'catalogue.json');
const load = (id: string): Bank => {
  const r = parseBank(JSON.parse(readFileSync(path.join(BANKS_DIR, `${id}.json`), 'utf8')));
  if (!r.ok) throw new Error(`${id}: ${JSON.stringify(r.issues.slice(0, 5))}`);
  return r.bank;
};

/** Draws `tries` papers in a row, each avoiding what the earlier ones showed; fails on any repeat. */
function sitRepeatedly(bank: Bank, items: number, tries: number, seed: string) {
  const v = indexBank(bank, 1, 'h');
  const seen = new Set<string>();
  for (let n = 1; n <= tries; n++) {
    const r = drawSection(v, items, items, seen, seededRng(seed, String(n)));
    expect(r.ok, `${bank.bankId} try ${n}`).toBe(true);
    if (!r.ok) return;
    expect(r.reusedItems, `${bank.bankId} try ${n} repeats items`).toBe(0);
    for (const u of r.units) for (const i of u.items) seen.add(i.id);
  }
}

describe('shipped banks', () => {
  it('are all valid native banks whose ids are the law bank, the humanities bank or catalogue codes', () => {
    const catalogue = loadCatalogue();
    expect(files.length).toBeGreaterThanOrEqual(7);
    for (const f of files) {
      const id = f.replace(/\.json$/, '');
      const bank = load(id);
      expect(bank.bankId).toBe(id);
      expect(id === 'law' || id === 'humanities' || catalogue.byCode.has(id), id).toBe(true);
      expect(bankWarnings(bank), id).toEqual([]);
    }
  });

  it('law: at least 300 questions, 60 of them on 医师法, every one with a topic and an explanation citing the law', () => {
    const law = load('law');
    expect(law.questions.length).toBeGreaterThanOrEqual(300);
    expect(law.questions.filter((q) => q.topic === '医师法').length).toBeGreaterThanOrEqual(60);
    for (const q of law.questions) {
      expect(q.topic, q.id).toBeTruthy();
      if (q.type !== 'case' && q.type !== 'matching') expect(q.explanation, q.id).toMatch(/《|第.+条|法/);
    }
    sitRepeatedly(law, 20, 3, 'law');
  });

  it('humanities, when shipped: at least 150 questions', () => {
    if (!files.includes('humanities.json')) return;
    const bank = load('humanities');
    expect(bank.bankId).toBe('humanities');
    expect(bank.questions.length).toBeGreaterThanOrEqual(150);
  });

  const specialties = files.map((f) => f.replace(/\.json$/, '')).filter((id) => id !== 'law' && id !== 'humanities');
  it.each(specialties)('%s: three full 80-item papers without seeing an item twice', (id) => {
    const bank = load(id);
    for (const seed of ['a', 'b', 'c', 'd', 'e']) sitRepeatedly(bank, 80, 3, seed);
  });

  it.each(['surgery', 'pediatrics', 'obstetrics-gynecology', 'stomatology'])(
    '%s: case, matching and multiple-answer groups',
    (id) => {
      const bank = load(id);
      expect(bank.questions.some((q) => q.type === 'case')).toBe(true);
      expect(bank.questions.some((q) => q.type === 'matching')).toBe(true);
      expect(bank.questions.some((q) => q.type === 'multiple')).toBe(true);
    },
  );
});
