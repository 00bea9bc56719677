// Micro-batching of queue adds. In the 08:00 burst hundreds of tries start each second; each used
// to cost its own BullMQ add, its own worker job and its own INSERT. A caller still waits until its
// item is in Redis (so nothing acknowledged to a candidate depends on memory), but the items of a
// few milliseconds travel together: one round trip, one job, one statement.

export class Batcher<T> {
  private items: T[] = [];
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flush: (items: T[]) => Promise<void>,
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Resolves once the batch holding `item` has been flushed; rejects if that flush failed. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.items.push(item);
      this.waiting.push({ resolve, reject });
      if (this.items.length >= this.max) this.run();
      else this.timer ??= setTimeout(() => this.run(), this.windowMs);
    });
  }

  /** Flushes what is pending now (shutdown). */
  async drain(): Promise<void> {
    if (this.items.length) await new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.run();
    });
  }

  private run() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const items = this.items;
    const waiting = this.waiting;
    this.items = [];
    this.waiting = [];
    const done = items.length ? this.flush(items) : Promise.resolve();
    done.then(
      () => waiting.forEach((w) => w.resolve()),
      (e: unknown) => waiting.forEach((w) => w.reject(e)),
    );
  }
}
