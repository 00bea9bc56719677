import { describe, expect, it } from 'vitest';
import { Batcher } from './batch.js';

describe('Batcher', () => {
  it('sends the adds of one window together and resolves each caller after the flush', async () => {
    const flushed: number[][] = [];
    const b = new Batcher<number>(async (items) => void flushed.push(items), 20, 100);
    let resolved = 0;
    const adds = [1, 2, 3].map((n) => b.add(n).then(() => resolved++));
    expect(flushed).toEqual([]);
    expect(resolved).toBe(0);
    await Promise.all(adds);
    expect(flushed).toEqual([[1, 2, 3]]);
    expect(resolved).toBe(3);
  });

  it('flushes at once when a batch is full, and starts a new one after', async () => {
    const flushed: number[][] = [];
    const b = new Batcher<number>(async (items) => void flushed.push(items), 10_000, 2);
    await Promise.all([b.add(1), b.add(2)]);
    expect(flushed).toEqual([[1, 2]]);
    const third = b.add(3);
    await b.drain();
    await third;
    expect(flushed).toEqual([[1, 2], [3]]);
  });

  it('rejects every caller of a failed flush, and the next batch still goes out', async () => {
    let fail = true;
    const flushed: string[][] = [];
    const b = new Batcher<string>(async (items) => {
      if (fail) throw new Error('redis down');
      flushed.push(items);
    }, 5, 100);
    const results = await Promise.allSettled([b.add('a'), b.add('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await b.add('c');
    expect(flushed).toEqual([['c']]);
  });

  it('drain with nothing pending returns at once', async () => {
    const b = new Batcher<number>(async () => {
      throw new Error('must not flush');
    }, 5, 10);
    await expect(b.drain()).resolves.toBeUndefined();
  });
});
