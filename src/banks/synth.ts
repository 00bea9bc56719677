// Synthetic banks for demos and load tests. Every question says it is synthetic, in its stem and
// its topic, so no one can take one for real content.
import type { BankInput } from './schema.js';

export const SYNTHETIC_MARK = '【合成题目，仅供演示与压测，非真实考试内容】';
const KEYS = ['A', 'B', 'C', 'D', 'E'] as const;

export interface SynthOptions {
  bankId: string;
  title: string;
  /** Scorable items in the bank (a group counts its items). */
  items: number;
  /** Share of items in A3/A4 case groups and in B1 matching groups (of three items each). */
  caseShare?: number;
  matchingShare?: number;
  seed?: number;
}

export function synthBank(o: SynthOptions): BankInput {
  let s = o.seed ?? 1;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const key = () => KEYS[Math.floor(rand() * KEYS.length)]!;
  const options = (id: string) => KEYS.map((k) => ({ key: k, text: `${id} 选项${k}` }));
  const topic = `${o.title}（合成）`;
  const questions: BankInput['questions'] = [];
  const groups = (share: number) => Math.floor((o.items * share) / 3);
  const cases = groups(o.caseShare ?? 0.15);
  const matchings = groups(o.matchingShare ?? 0.1);
  const singles = o.items - 3 * (cases + matchings);
  const pad = (n: number) => String(n).padStart(5, '0');
  for (let i = 1; i <= singles; i++) {
    const id = `${o.bankId}-syn-${pad(i)}`;
    const multiple = i % 7 === 0;
    const answer = multiple ? [...new Set([key(), key(), key()])].sort() : [key()];
    questions.push({
      id,
      type: multiple && answer.length > 1 ? 'multiple' : 'single',
      stem: `${SYNTHETIC_MARK}${o.title} 第 ${i} 题`,
      options: options(id),
      answer: answer.length > 1 && multiple ? answer : [answer[0]!],
      points: 1,
      topic,
      difficulty: 0.5,
    });
  }
  for (let c = 1; c <= cases; c++) {
    const id = `${o.bankId}-syn-c${pad(c)}`;
    questions.push({
      id,
      type: 'case',
      stem: `${SYNTHETIC_MARK}病例 ${c}：患者，${30 + (c % 40)}岁。`,
      topic,
      questions: [1, 2, 3].map((j) => ({
        id: `${id}-${j}`,
        type: 'single' as const,
        stem: `病例 ${c} 第 ${j} 问`,
        options: options(`${id}-${j}`),
        answer: [key()],
        points: 1,
      })),
    });
  }
  for (let m = 1; m <= matchings; m++) {
    const id = `${o.bankId}-syn-m${pad(m)}`;
    questions.push({
      id,
      type: 'matching',
      stem: `${SYNTHETIC_MARK}共用备选答案`,
      topic,
      options: options(id),
      questions: [1, 2, 3].map((j) => ({ id: `${id}-${j}`, stem: `配伍 ${m} 第 ${j} 问`, answer: [key()], points: 1 })),
    });
  }
  return { bankId: o.bankId, title: `${o.title}（合成题库）`, questions };
}
