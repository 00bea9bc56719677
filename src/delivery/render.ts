// The candidate's view of a try: no answer key, options re-lettered as this candidate sees them.
// Pure: a snapshot and the bank versions of its paper in, the view out.
import type { BankVersion } from '../banks/version.js';
import { displayKeys } from '../papers/draw.js';
import type { AttemptScore } from '../scoring/score.js';
import type { AttemptView, QuestionView, ResultView } from './schemas.js';
import type { Snapshot } from './store/attempts.js';

/** The bank version a section of the paper was drawn from (loaded before rendering). */
export type SectionBank = (sectionIndex: number) => BankVersion;

export function renderAttempt(attemptId: string, snap: Snapshot, bankOf: SectionBank): AttemptView {
  const a = snap.attempt;
  const paper = snap.paper;
  const finished = a.status !== 'in_progress';
  const sections = paper.sections.map((s, i) => ({
    id: s.id,
    title: s.title,
    status:
      i < a.current || finished
        ? a.sections[i]?.endedBy === 'time'
          ? ('timed_out' as const)
          : ('submitted' as const)
        : i === a.current
          ? ('in_progress' as const)
          : ('not_started' as const),
    durationSec: s.durationMs / 1000,
    items: s.units.reduce((t, u) => t + u.items.length, 0),
  }));
  let section: AttemptView['section'] = null;
  if (!finished) {
    const s = paper.sections[a.current]!;
    const clock = a.sections[a.current]!;
    const bank = bankOf(a.current);
    const endsAt = clock.endsAt ?? snap.now;
    section = {
      id: s.id,
      title: s.title,
      startedAt: new Date(clock.startedAt ?? snap.now).toISOString(),
      endsAt: new Date(endsAt).toISOString(),
      remainingMs: Math.max(0, endsAt - snap.now),
      questions: s.units.flatMap((u) => {
        const unit = bank.unitById.get(u.id)!;
        const group = unit.kind === 'item' ? undefined : { id: unit.id, type: unit.kind, stem: unit.stem ?? '' };
        return u.items.map((d): QuestionView => {
          const item = bank.itemById.get(d.id)!;
          const text = new Map(item.options.map((o) => [o.key, o.text]));
          const keys = displayKeys(d);
          return {
            id: d.id,
            type: d.type,
            stem: item.stem,
            options: d.order.map((bankKey, i) => ({ key: keys[i]!, text: text.get(bankKey)! })),
            ...(group ? { group } : {}),
          };
        });
      }),
    };
  }
  // Stored answers are bank keys; show them in this candidate's letters.
  // Question ids are any text, "constructor" and "__proto__" included: own keys only.
  const answers: [string, string[]][] = [];
  for (const s of paper.sections)
    for (const u of s.units)
      for (const d of u.items) {
        if (!Object.hasOwn(snap.answers, d.id)) continue;
        const keys = displayKeys(d);
        answers.push([d.id, [...snap.answers[d.id]!].map((key) => keys[d.order.indexOf(key)]!).sort()]);
      }
  return {
    id: attemptId,
    number: a.number,
    examId: a.examId || paper.examId,
    status: finished ? 'finished' : 'in_progress',
    serverTime: new Date(snap.now).toISOString(),
    section,
    answers: Object.fromEntries(answers),
    sections,
  };
}

export function renderResult(attemptId: string, score: AttemptScore): ResultView {
  return {
    attemptId,
    passed: score.passed,
    score: score.score,
    maxScore: score.maxScore,
    sections: score.sections.map((s) => ({
      id: s.id,
      title: s.title,
      score: s.score,
      maxScore: s.maxScore,
      passMark: s.passMark,
      passed: s.passed,
    })),
  };
}
