// Cue statistics of a question bank: the patterns a test-wise candidate could use instead of knowledge
// (the key is the longest option, one letter is keyed too often, X items are mostly "pick 4 of 5"),
// plus duplicates and explanations without a dated source. Pure: takes parsed banks, returns numbers.
import type { Bank, LeafQuestion, Option } from './schema.js';

/** One scored item with the options it is answered from (a matching item uses its group's options). */
interface Leaf {
  id: string;
  kind: 'single' | 'multiple' | 'truefalse' | 'matching';
  stem: string;
  options: Option[];
  answer: string[];
  explanation: string;
}

export interface DuplicatePair {
  a: string;
  b: string;
  /** Character-bigram Jaccard similarity; 1 for exact duplicate stems. */
  similarity: number;
}

export interface BankCueReport {
  bankId: string;
  scoredItems: number;
  /** Single-answer items: top-level single questions and single sub-questions of case groups. */
  singleItems: number;
  /** Ids of single-answer items whose key is the uniquely longest option (by code points). */
  longestKeyItems: string[];
  longestKeyShare: number;
  keyLetters: Record<string, number>;
  maxLetterShare: number;
  /** Multiple-answer (X) items, top-level and inside case groups. */
  multipleItems: number;
  /** Number of X items by the number of keys. */
  keySizes: Record<number, number>;
  /** Ids of X items keyed with every option. */
  allOptionsItems: string[];
  allOptionsShare: number;
  /** Same normalised stem within this bank (top-level and case stems). */
  duplicateStems: DuplicatePair[];
  /** Same normalised stem in this bank and another bank. */
  crossDuplicateStems: DuplicatePair[];
  /** Near-duplicate scored items (bigram Jaccard ≥ NEAR_DUPLICATE) within this bank. */
  nearDuplicates: DuplicatePair[];
  /** Near-duplicate scored items between this bank and another bank. */
  crossNearDuplicates: DuplicatePair[];
  /** Ids of scored items whose explanation names no year (19xx/20xx). */
  missingYear: string[];
}

export const NEAR_DUPLICATE = 0.8;

/** Removes whitespace and punctuation (ASCII and CJK), so wording differences in spacing do not count. */
export function normalise(s: string): string {
  return s.replace(/[\s\p{P}]+/gu, '');
}

const codePoints = (s: string) => [...s].length;

function leavesOf(bank: Bank): Leaf[] {
  const out: Leaf[] = [];
  const leaf = (q: LeafQuestion): Leaf => ({
    id: q.id,
    kind: q.type,
    stem: q.stem,
    options: q.type === 'truefalse' ? [] : q.options,
    answer: q.answer,
    explanation: q.explanation ?? '',
  });
  for (const q of bank.questions) {
    if (q.type === 'case') out.push(...q.questions.map(leaf));
    else if (q.type === 'matching')
      for (const item of q.questions)
        out.push({
          id: item.id,
          kind: 'matching',
          stem: item.stem,
          options: q.options,
          answer: item.answer,
          explanation: item.explanation ?? '',
        });
    else out.push(leaf(q));
  }
  return out;
}

/**
 * Stems that stand on their own: top-level single/multiple/true-false stems and case stems. Case
 * sub-question stems ("最可能的诊断是") and matching labels depend on their group, so they are left out.
 */
function ownStems(bank: Bank): { id: string; stem: string }[] {
  return bank.questions
    .filter((q) => q.type !== 'matching')
    .map((q) => ({ id: q.id, stem: normalise(q.stem ?? '') }))
    .filter((s) => s.stem.length > 0);
}

/** What near-duplicates are compared on: stem plus sorted option texts; a matching item only its stem. */
function signature(l: Leaf): string {
  if (l.kind === 'matching') return normalise(l.stem);
  return [normalise(l.stem), ...l.options.map((o) => normalise(o.text)).sort()].join('|');
}

function bigrams(s: string): Set<string> {
  const cps = [...s];
  const set = new Set<string>();
  for (let i = 0; i + 1 < cps.length; i++) set.add(cps[i]! + cps[i + 1]!);
  if (set.size === 0) set.add(s);
  return set;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  // |A∩B|/|A∪B| ≥ t needs min/max size ≥ t, a cheap filter before counting.
  if (Math.min(a.size, b.size) / Math.max(a.size, b.size) < NEAR_DUPLICATE) return 0;
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  return common / (a.size + b.size - common);
}

function nearPairs(mine: Leaf[], theirs: Leaf[] | null): DuplicatePair[] {
  const sig = (ls: Leaf[]) => ls.map((l) => ({ id: l.id, grams: bigrams(signature(l)) }));
  const a = sig(mine);
  const b = theirs ? sig(theirs) : a;
  const pairs: DuplicatePair[] = [];
  for (let i = 0; i < a.length; i++)
    for (let j = theirs ? 0 : i + 1; j < b.length; j++) {
      const similarity = jaccard(a[i]!.grams, b[j]!.grams);
      if (similarity >= NEAR_DUPLICATE) pairs.push({ a: a[i]!.id, b: b[j]!.id, similarity });
    }
  return pairs;
}

function stemPairs(
  mine: { id: string; stem: string }[],
  theirs: { id: string; stem: string }[] | null,
): DuplicatePair[] {
  const pairs: DuplicatePair[] = [];
  const other = theirs ?? mine;
  for (let i = 0; i < mine.length; i++)
    for (let j = theirs ? 0 : i + 1; j < other.length; j++)
      if (mine[i]!.stem === other[j]!.stem) pairs.push({ a: mine[i]!.id, b: other[j]!.id, similarity: 1 });
  return pairs;
}

/** The cue report of `bank`; `otherBanks` are only compared with it for duplicates. */
export function bankCueReport(bank: Bank, otherBanks: Bank[] = []): BankCueReport {
  const leaves = leavesOf(bank);
  const singles = leaves.filter((l) => l.kind === 'single');
  const multiples = leaves.filter((l) => l.kind === 'multiple');

  const longestKeyItems = singles
    .filter((l) => {
      const key = l.options.find((o) => o.key === l.answer[0]);
      if (!key) return false;
      const len = codePoints(key.text);
      return l.options.every((o) => o === key || codePoints(o.text) < len);
    })
    .map((l) => l.id);

  const keyLetters: Record<string, number> = {};
  for (const l of singles) keyLetters[l.answer[0]!] = (keyLetters[l.answer[0]!] ?? 0) + 1;

  const keySizes: Record<number, number> = {};
  for (const l of multiples) keySizes[l.answer.length] = (keySizes[l.answer.length] ?? 0) + 1;
  const allOptionsItems = multiples.filter((l) => l.answer.length === l.options.length).map((l) => l.id);

  const share = (n: number, of: number) => (of ? n / of : 0);
  const others = otherBanks.filter((b) => b.bankId !== bank.bankId);
  const stems = ownStems(bank);

  return {
    bankId: bank.bankId,
    scoredItems: leaves.length,
    singleItems: singles.length,
    longestKeyItems,
    longestKeyShare: share(longestKeyItems.length, singles.length),
    keyLetters,
    maxLetterShare: share(Math.max(0, ...Object.values(keyLetters)), singles.length),
    multipleItems: multiples.length,
    keySizes,
    allOptionsItems,
    allOptionsShare: share(allOptionsItems.length, multiples.length),
    duplicateStems: stemPairs(stems, null),
    crossDuplicateStems: others.flatMap((o) => stemPairs(stems, ownStems(o))),
    nearDuplicates: nearPairs(leaves, null),
    crossNearDuplicates: others.flatMap((o) => nearPairs(leaves, leavesOf(o))),
    missingYear: leaves.filter((l) => !/(?:19|20)\d\d/.test(l.explanation)).map((l) => l.id),
  };
}

/** The rules a shipped bank must meet; each returns a message when broken. */
export function cueViolations(r: BankCueReport): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  if (r.longestKeyShare > 0.25)
    out.push(`key is the uniquely longest option in ${pct(r.longestKeyShare)} of single items (bound 25 %)`);
  if (r.maxLetterShare > 0.3) out.push(`one key letter holds ${pct(r.maxLetterShare)} of single items (bound 30 %)`);
  if (r.multipleItems > 0) {
    for (const size of [2, 3, 4]) {
      const s = (r.keySizes[size] ?? 0) / r.multipleItems;
      if (s < 0.15 || s > 0.5) out.push(`X items with ${size} keys: ${pct(s)} (bounds 15-50 %)`);
    }
    if (r.allOptionsShare > 0.1) out.push(`X items keyed with all options: ${pct(r.allOptionsShare)} (bound 10 %)`);
  }
  const pairs = (ps: DuplicatePair[]) => ps.map((p) => `${p.a}~${p.b}`).join(', ');
  if (r.duplicateStems.length) out.push(`duplicate stems: ${pairs(r.duplicateStems)}`);
  if (r.crossDuplicateStems.length) out.push(`duplicate stems in other banks: ${pairs(r.crossDuplicateStems)}`);
  if (r.nearDuplicates.length) out.push(`near-duplicates: ${pairs(r.nearDuplicates)}`);
  if (r.crossNearDuplicates.length) out.push(`near-duplicates in other banks: ${pairs(r.crossNearDuplicates)}`);
  if (r.missingYear.length) out.push(`explanations without a year: ${r.missingYear.join(', ')}`);
  return out;
}

/** One line for a test log. */
export function cueSummary(r: BankCueReport): string {
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  const letters = Object.entries(r.keyLetters)
    .sort()
    .map(([k, n]) => `${k}${n}`)
    .join(' ');
  const sizes = Object.entries(r.keySizes)
    .map(([k, n]) => `${k}:${n}`)
    .join(' ');
  const dups =
    r.duplicateStems.length + r.crossDuplicateStems.length + r.nearDuplicates.length + r.crossNearDuplicates.length;
  return (
    `${r.bankId}: ${r.scoredItems} items; longest key ${r.longestKeyItems.length}/${r.singleItems} = ${pct(r.longestKeyShare)}; ` +
    `letters ${letters} (max ${pct(r.maxLetterShare)}); X ${r.multipleItems} sizes ${sizes} all ${r.allOptionsItems.length}; ` +
    `duplicates ${dups}; no year ${r.missingYear.length}`
  );
}
