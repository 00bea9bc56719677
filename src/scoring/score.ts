// Scoring is a pure function of the paper, the answers and the (immutable) bank versions, so any
// result can be recomputed from the record.
import type { Paper, StoredAnswers } from '../papers/paper.js';

export interface AnswerKey {
  answer: readonly string[];
  points: number;
}
/** Finds an item's key in the bank version the paper was drawn from. */
export type KeyLookup = (bankId: string, version: number, itemId: string) => AnswerKey | undefined;

export interface SectionScore {
  id: string;
  title: string;
  score: number;
  maxScore: number;
  passMark: number;
  passed: boolean;
  answered: number;
  items: number;
}
export interface AttemptScore {
  score: number;
  maxScore: number;
  passed: boolean;
  sections: SectionScore[];
}

/** All-or-nothing: the chosen keys must be exactly the key (single, truefalse and X alike). */
export function scoreItem(chosen: string | undefined, key: AnswerKey): number {
  if (!chosen) return 0;
  const want = [...key.answer].sort().join('');
  return chosen === want ? key.points : 0;
}

export function scoreAttempt(paper: Paper, answers: StoredAnswers, keyOf: KeyLookup): AttemptScore {
  const sections = paper.sections.map((s): SectionScore => {
    let score = 0;
    let maxScore = 0;
    let answered = 0;
    let items = 0;
    for (const u of s.units)
      for (const it of u.items) {
        const key = keyOf(s.bankId, s.bankVersion, it.id);
        if (!key) throw new Error(`no key for ${s.bankId}@${s.bankVersion}/${it.id}`);
        items++;
        maxScore += key.points;
        if (answers[it.id]) answered++;
        score += scoreItem(answers[it.id], key);
      }
    return {
      id: s.id,
      title: s.title,
      score,
      maxScore,
      passMark: s.passMark,
      passed: score >= s.passMark,
      answered,
      items,
    };
  });
  return {
    score: sections.reduce((t, s) => t + s.score, 0),
    maxScore: sections.reduce((t, s) => t + s.maxScore, 0),
    // Beijing's rule (and the only rule the policy schema admits so far): every section must pass.
    passed: sections.every((s) => s.passed),
    sections,
  };
}
