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
    for (const u of s.units)
      for (const it of u.items) out.push([it.id, `${i}|${TYPE_CODE[it.type]}|${it.order.join('')}`]);
  });
  return out;
}

const TYPE_OF_CODE = { s: 'single', m: 'multiple', t: 'truefalse' } as const;
const KIND_CODE = { item: 'i', case: 'c', matching: 'm' } as const;
const KIND_OF_CODE = { i: 'item', c: 'case', m: 'matching' } as const;

/**
 * The paper as Redis keeps it: section metadata as JSON, each section's units packed as
 * `unit~kind~item:type:ORDER,item:type:ORDER;…` (ids cannot contain ~ : , ;). About a quarter of the
 * JSON size, which is most of what a try in progress costs in Redis memory.
 */
export function packPaper(paper: Paper): string {
  return JSON.stringify({
    ...paper,
    sections: paper.sections.map(({ units, ...s }) => ({
      ...s,
      units: units
        .map(
          (u) =>
            `${u.id}~${KIND_CODE[u.kind]}~${u.items.map((i) => `${i.id}:${TYPE_CODE[i.type]}:${i.order.join('')}`).join(',')}`,
        )
        .join(';'),
    })),
  });
}

export function unpackPaper(packed: string): Paper {
  const raw = JSON.parse(packed) as Omit<Paper, 'sections'> & {
    sections: (Omit<PaperSection, 'units'> & { units: string })[];
  };
  return {
    ...raw,
    sections: raw.sections.map((s) => ({
      ...s,
      units: s.units.split(';').map((u) => {
        const [id, kind, items] = u.split('~') as [string, keyof typeof KIND_OF_CODE, string];
        return {
          id,
          kind: KIND_OF_CODE[kind],
          items: items.split(',').map((it) => {
            const [itemId, type, order] = it.split(':') as [string, keyof typeof TYPE_OF_CODE, string];
            return { id: itemId, type: TYPE_OF_CODE[type], order: [...order] };
          }),
        };
      }),
    })),
  };
}
