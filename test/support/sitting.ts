import type { TestEngine } from './engine.js';
import { RIGHT } from './fixtures.js';

export async function login(t: TestEngine, idNumber: string, password: string): Promise<string> {
  const r = await t.call('POST', '/v1/auth/login', { body: { idNumber, password } });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  return r.body.token as string;
}

interface ViewQuestion {
  id: string;
  type: string;
  options: { key: string; text: string }[];
}

/** The letters this candidate sees for the right answer (the fixture marks right options). */
export function rightLetters(q: ViewQuestion): string[] {
  return q.options.filter((o) => o.text.startsWith(RIGHT)).map((o) => o.key);
}
export function wrongLetters(q: ViewQuestion): string[] {
  return [q.options.find((o) => !o.text.startsWith(RIGHT))!.key];
}

/** Answers the current section with exactly `correct` right answers, the rest wrong, then submits it. */
export async function answerSection(
  t: TestEngine,
  token: string,
  view: any,
  correct: number,
  opts: { submit?: boolean } = {},
) {
  const answers: Record<string, string[]> = {};
  view.section.questions.forEach((q: ViewQuestion, i: number) => {
    answers[q.id] = i < correct ? rightLetters(q) : wrongLetters(q);
  });
  const saved = await t.call('PUT', `/v1/attempts/${view.id}/answers`, { token, body: { answers } });
  if (saved.status !== 200) throw new Error(`save failed: ${saved.status} ${saved.text}`);
  if (opts.submit === false) return view;
  const next = await t.call('POST', `/v1/attempts/${view.id}/sections/${view.section.id}/submit`, { token });
  if (next.status !== 200) throw new Error(`submit failed: ${next.status} ${next.text}`);
  return next.body;
}
