// A candidate's paper: what was drawn for each section of one try. It is stored with the try (Redis
// while it runs, Postgres for the record) and, with the bank versions, is all scoring needs.
import type { DrawnUnit } from './draw.js';

export interface PaperSection {
  id: string;
  title: string;
  bankId: string;
  bankVersion: number;
  durationMs: number;
  points: number;
  /** The pass mark for this candidate's level. */
  passMark: number;
  units: DrawnUnit[];
}

export interface Paper {
  examId: string;
  policyId: string | null;
  level: 'physician' | 'assistant';
  seed: string;
  sections: PaperSection[];
}

/** Answers as stored: question id → bank option keys, sorted ("AC"). */
export type StoredAnswers = Record<string, string>;

/** Every item id of a paper, by bank: what a candidate has seen, so later tries avoid it. */
export function itemIdsByBank(paper: Paper): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const s of paper.sections) {
    const ids = out.get(s.bankId) ?? [];
    for (const u of s.units) for (const i of u.items) ids.push(i.id);
    out.set(s.bankId, ids);
  }
  return out;
}
