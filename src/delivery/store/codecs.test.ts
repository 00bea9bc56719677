import { describe, expect, it } from 'vitest';
import type { Paper } from '../../papers/paper.js';
import { packPaper, unpackPaper } from './codecs.js';

describe('the packed paper', () => {
  it('round-trips every unit kind and item type, and is much smaller than the JSON', () => {
    const paper: Paper = {
      examId: 'business',
      policyId: 'beijing',
      level: 'assistant',
      seed: 'abc',
      sections: [
        {
          id: 'law',
          title: '法律法规',
          bankId: 'law',
          bankVersion: 3,
          durationMs: 1_200_000,
          points: 20,
          passMark: 12,
          units: [
            {
              id: 'law-0001',
              kind: 'item',
              items: [{ id: 'law-0001', type: 'single', order: ['C', 'A', 'B', 'D', 'E'] }],
            },
            { id: 'law-0002', kind: 'item', items: [{ id: 'law-0002', type: 'truefalse', order: ['T', 'F'] }] },
            {
              id: 'im-c01',
              kind: 'case',
              items: [
                { id: 'im-c01-1', type: 'single', order: ['B', 'A'] },
                { id: 'im-c01-2', type: 'multiple', order: ['A', 'C', 'B'] },
              ],
            },
            {
              id: 'im.m_01',
              kind: 'matching',
              items: [
                { id: 'im.m_01-1', type: 'single', order: ['E', 'D', 'C', 'B', 'A'] },
                { id: 'im.m_01-2', type: 'single', order: ['E', 'D', 'C', 'B', 'A'] },
              ],
            },
          ],
        },
      ],
    };
    expect(unpackPaper(packPaper(paper))).toEqual(paper);
    expect(packPaper(paper).length).toBeLessThan(JSON.stringify(paper).length * 0.75);
  });
});
