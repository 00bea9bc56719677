import { describe, expect, it } from 'vitest';
import { runImport } from './run.js';

const gift = new TextEncoder().encode('::Q1:: 1+1? {=2 ~3 ~4}\n');

describe('runImport: the import worker', () => {
  it('imports in a worker thread and answers the result', async () => {
    const r = await runImport('gift', gift, { bankId: 'g' });
    expect(r.imported).toBe(1);
    expect(r.questions[0]).toMatchObject({ id: 'g-Q1', type: 'single', answer: ['A'] });
  });

  it('terminates the worker when the wall clock runs out: 422, and the next import still runs', async () => {
    await expect(runImport('gift', gift, { bankId: 'g', timeoutMs: 1 })).rejects.toMatchObject({
      code: 'import_failed',
      detail: expect.stringContaining('导入超时'),
    });
    expect((await runImport('gift', gift, { bankId: 'g' })).imported).toBe(1);
  });

  it('terminates the worker when its heap runs out: 422', async () => {
    const big = new TextEncoder().encode(
      Array.from({ length: 20_000 }, (_, i) => `::Q${i}:: ${'题'.repeat(200)} {=a ~b ~c}\n`).join('\n'),
    );
    await expect(runImport('gift', big, { bankId: 'g', heapMb: 4 })).rejects.toMatchObject({
      code: 'import_failed',
      detail: expect.stringContaining('导入所需内存超过 4 MB'),
    });
  });
});
