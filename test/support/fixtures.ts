// Test data: valid 身份证 numbers, banks whose keys the test knows, registrations.
import { checkCharacter } from '../../src/candidates/id-number.js';

let seq = Math.floor(Math.random() * 500);
/** A valid id number, different on every call (Beijing 西城 region, born 1980-1999). */
export function idNumber(): string {
  seq = (seq + 1) % 1000;
  const year = 1980 + (seq % 20);
  const body = `110102${year}0${1 + (seq % 9)}1${seq % 10}${String(seq).padStart(3, '0')}`;
  return body + checkCharacter(body);
}

/** The text of a correct option names itself, so a test can find the right letter after shuffling. */
export const RIGHT = '【正确】';

export function singleQuestion(id: string, topic = '测试') {
  return {
    id,
    type: 'single' as const,
    stem: `题干 ${id}`,
    options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({
      key,
      text: key === 'C' ? `${RIGHT}${id}` : `${id} 干扰项 ${key}`,
    })),
    answer: ['C'],
    points: 1,
    topic,
  };
}

/** A bank of `singles` single questions plus optional case and matching groups. */
export function makeBank(
  bankId: string,
  singles: number,
  groups: { cases?: number; matchings?: number; size?: number } = {},
) {
  const questions: unknown[] = [];
  for (let i = 1; i <= singles; i++) questions.push(singleQuestion(`${bankId}-q${i}`));
  const size = groups.size ?? 3;
  for (let c = 1; c <= (groups.cases ?? 0); c++) {
    questions.push({
      id: `${bankId}-c${c}`,
      type: 'case',
      stem: `病例 ${c}`,
      questions: Array.from({ length: size }, (_, j) => singleQuestion(`${bankId}-c${c}-${j + 1}`)),
    });
  }
  for (let m = 1; m <= (groups.matchings ?? 0); m++) {
    questions.push({
      id: `${bankId}-m${m}`,
      type: 'matching',
      stem: '共用备选答案',
      options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({
        key,
        text: key === 'B' ? `${RIGHT}选项 ${m}-B` : `选项 ${m}-${key}`,
      })),
      questions: Array.from({ length: size }, (_, j) => ({
        id: `${bankId}-m${m}-${j + 1}`,
        stem: `配伍 ${j + 1}`,
        answer: ['B'],
        points: 1,
      })),
    });
  }
  return { bankId, title: `测试题库 ${bankId}`, questions };
}

export function registration(overrides: Record<string, unknown> = {}) {
  return {
    idNumber: idNumber(),
    name: '测试医生',
    category: '临床',
    scopes: ['内科专业'],
    level: 'physician',
    specialty: 'internal-medicine',
    password: 'correct-horse-battery',
    ...overrides,
  };
}

export function openWindow(hours = 24) {
  return {
    opensAt: new Date(Date.now() - 3600_000).toISOString(),
    closesAt: new Date(Date.now() + hours * 3600_000).toISOString(),
  };
}

/** Recursively lists keys of an object tree, to prove that no key ever reaches a candidate. */
export function allKeys(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => allKeys(x, out));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      allKeys(x, out);
    }
  return out;
}
