// An immutable, published bank version as held in process memory: the validated bank plus the
// indexes the hot path needs (draw units, question lookup).
import type { Bank, LeafQuestion, MatchingItem, Question } from './schema.js';

/** An option as drawn: bank key (A-H, or T/F for true/false) and text. */
export interface Option {
  key: string;
  text: string;
  fixed?: boolean;
}

export type ItemType = 'single' | 'multiple' | 'truefalse';

/** A scorable item: a single/multiple/truefalse question, a case sub-question or a matching item. */
export interface Item {
  id: string;
  type: ItemType;
  stem: string;
  /** The options in the bank's order (a matching item shares its group's). */
  options: Option[];
  answer: string[];
  points: number;
  shuffle: boolean;
  unitId: string;
}

/** What a draw picks whole: a lone question, or a case/matching group with its items. */
export interface Unit {
  id: string;
  kind: 'item' | 'case' | 'matching';
  /** Shared stem of a case, or the instruction of a matching group. */
  stem?: string;
  /** Shared options of a matching group. */
  options?: Option[];
  shuffle: boolean;
  items: Item[];
  points: number;
  topic?: string;
}

export interface BankVersion {
  bankId: string;
  version: number;
  title: string;
  contentHash: string;
  units: Unit[];
  unitById: Map<string, Unit>;
  itemById: Map<string, Item>;
  itemCount: number;
}

export function indexBank(bank: Bank, version: number, contentHash: string): BankVersion {
  const units = bank.questions.map(toUnit);
  const unitById = new Map(units.map((u) => [u.id, u]));
  const itemById = new Map<string, Item>();
  for (const u of units) for (const it of u.items) itemById.set(it.id, it);
  return {
    bankId: bank.bankId,
    version,
    title: bank.title,
    contentHash,
    units,
    unitById,
    itemById,
    itemCount: itemById.size,
  };
}

const TRUE_FALSE_OPTIONS: Option[] = [
  { key: 'T', text: '正确' },
  { key: 'F', text: '错误' },
];

function leafItem(q: LeafQuestion, unitId: string): Item {
  const base = { id: q.id, stem: q.stem, answer: q.answer, points: q.points, unitId };
  if (q.type === 'truefalse') return { ...base, type: 'truefalse', options: TRUE_FALSE_OPTIONS, shuffle: false };
  return { ...base, type: q.type, options: q.options, shuffle: q.shuffle ?? true };
}

function matchingItem(it: MatchingItem, options: Option[], shuffle: boolean, unitId: string): Item {
  return { id: it.id, type: 'single', stem: it.stem, options, answer: it.answer, points: it.points, shuffle, unitId };
}

function toUnit(q: Question): Unit {
  if (q.type === 'case') {
    const items = q.questions.map((x) => leafItem(x, q.id));
    return { id: q.id, kind: 'case', stem: q.stem, shuffle: false, items, points: sum(items), topic: q.topic };
  }
  if (q.type === 'matching') {
    const shuffle = q.shuffle ?? true;
    const items = q.questions.map((x) => matchingItem(x, q.options, shuffle, q.id));
    return {
      id: q.id,
      kind: 'matching',
      stem: q.stem,
      options: q.options,
      shuffle,
      items,
      points: sum(items),
      topic: q.topic,
    };
  }
  const item = leafItem(q, q.id);
  return { id: q.id, kind: 'item', shuffle: item.shuffle, items: [item], points: item.points, topic: q.topic };
}

const sum = (items: Item[]) => items.reduce((s, i) => s + i.points, 0);

/** Counts for listings: leaf items by type (case/matching counted as groups too) and by topic. */
export function bankCounts(bank: Bank) {
  const byType: Record<string, number> = {};
  // Topics are any text: counted in a Map, so a topic named "constructor" counts from 0.
  const byTopic = new Map<string, number>();
  let questions = 0;
  for (const q of bank.questions) {
    const leaves = q.type === 'case' || q.type === 'matching' ? q.questions.length : 1;
    questions += leaves;
    byType[q.type] = (byType[q.type] ?? 0) + leaves;
    const topic = q.topic ?? '(未分类)';
    byTopic.set(topic, (byTopic.get(topic) ?? 0) + leaves);
  }
  return { questions, byType, byTopic: Object.fromEntries(byTopic) };
}
