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

export const TYPE_CODE = { single: 's', multiple: 'm', truefalse: 't' } as const;

/** The per-question meta the save script validates against: "<section>|<type>|<keys in display order>". */
export function questionMeta(paper: Paper): [string, string][] {
  const out: [string, string][] = [];
  paper.sections.forEach((s, i) => {
    for (const u of s.units) for (const it of u.items) out.push([it.id, `${i}|${TYPE_CODE[it.type]}|${it.order.join('')}`]);
  });
  return out;
}
