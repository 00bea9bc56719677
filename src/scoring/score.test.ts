import { describe, expect, it } from 'vitest';
import type { Paper } from '../papers/paper.js';
import { scoreAttempt, scoreItem } from './score.js';

const key = (answer: string[], points = 1) => ({ answer, points });

describe('scoring', () => {
  it('is all-or-nothing for single, true/false and multiple', () => {
    expect(scoreItem('C', key(['C']))).toBe(1);
    expect(scoreItem('B', key(['C']))).toBe(0);
    expect(scoreItem(undefined, key(['C']))).toBe(0);
    expect(scoreItem('T', key(['T']))).toBe(1);
    expect(scoreItem('ACD', key(['D', 'A', 'C']))).toBe(1);
    expect(scoreItem('AC', key(['A', 'C', 'D']))).toBe(0);
    expect(scoreItem('ACDE', key(['A', 'C', 'D']))).toBe(0);
    expect(scoreItem('B', key(['B'], 2))).toBe(2);
  });

  it('passes a try only when every section reaches its pass mark', () => {
    const section = (id: string, n: number, passMark: number) => ({
      id,
      title: id,
      bankId: 'b',
      bankVersion: 1,
      durationMs: 1,
      points: n,
      passMark,
      units: Array.from({ length: n }, (_, i) => ({
        id: `${id}${i}`,
        kind: 'item' as const,
        items: [{ id: `${id}${i}`, type: 'single' as const, order: ['A', 'B'] }],
      })),
    });
    const paper: Paper = {
      examId: 'e',
      policyId: 'beijing',
      level: 'physician',
      seed: 's',
      sections: [section('law', 20, 12), section('sp', 80, 48)],
    };
    const answersFor = (law: number, sp: number) => {
      const a: Record<string, string> = {};
      for (let i = 0; i < 20; i++) a[`law${i}`] = i < law ? 'A' : 'B';
      for (let i = 0; i < 80; i++) a[`sp${i}`] = i < sp ? 'A' : 'B';
      return a;
    };
    const keyOf = () => key(['A']);
    expect(scoreAttempt(paper, answersFor(12, 48), keyOf)).toMatchObject({ score: 60, maxScore: 100, passed: true });
    const failed = scoreAttempt(paper, answersFor(20, 47), keyOf);
    expect(failed).toMatchObject({ score: 67, passed: false });
    expect(failed.sections.map((s) => s.passed)).toEqual([true, false]);
    expect(scoreAttempt(paper, answersFor(11, 80), keyOf).passed).toBe(false);
    expect(scoreAttempt(paper, {}, keyOf)).toMatchObject({ score: 0, passed: false });
  });
});
