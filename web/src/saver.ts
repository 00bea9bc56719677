// Never lose an answer. Every change goes into a queue in localStorage (keyed by the try) before
// anything else happens, and is sent at once; everything queued goes in one PUT (saves are
// idempotent). An entry leaves the queue only when the server has acknowledged that very value.
// Unsent answers are resent on the `online` event, on a timer, and when the page is opened again.
import { ApiError, call, isNetworkError } from './api';
import { dict } from './dict';
import { queueStore, type Queue } from './store';

export type SaveStatus = 'saved' | 'saving' | 'offline' | 'retrying' | 'stopped';

export interface DroppedAnswer {
  questionId: string;
  sectionId: string;
  reason: 'section_closed' | 'refused';
}

export interface SaverEvents {
  status(s: SaveStatus, pending: number): void;
  /** Answers the server will never take (the section closed before they arrived). */
  dropped(items: DroppedAnswer[]): void;
  /** The server says the section moved on: fetch the try again. */
  sectionClosed(): void;
  /** localStorage refused to keep the queue (full, or disabled in a private mode). */
  storageFailed(): void;
}

const RETRY_MS = 5_000;
const PUT_TIMEOUT_MS = 15_000;

export class Saver {
  private queue: Queue;
  private seq: number;
  private inflight: Promise<boolean> | null = null;
  private again = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private _status: SaveStatus = 'saved';
  private listeners = new Set<Partial<SaverEvents>>();
  private lastNetworkFailure = false;

  constructor(readonly attemptId: string) {
    this.queue = dict(queueStore.get(attemptId));
    this.seq = Object.values(this.queue).reduce((m, e) => Math.max(m, e.seq), 0);
    window.addEventListener('online', this.onOnline);
    this.timer = setInterval(() => {
      if (this.pendingCount() && !this.inflight) void this.flush();
    }, RETRY_MS);
    this._status = this.pendingCount() ? (navigator.onLine ? 'retrying' : 'offline') : 'saved';
  }

  listen(l: Partial<SaverEvents>): () => void {
    this.listeners.add(l);
    l.status?.(this._status, this.pendingCount());
    return () => this.listeners.delete(l);
  }

  get status(): SaveStatus {
    return this._status;
  }

  pendingCount(): number {
    return Object.keys(this.queue).length;
  }

  /** Answers not yet acknowledged, as { questionId: letters }. */
  pending(): Record<string, string[]> {
    const out = dict<string[]>();
    for (const [q, e] of Object.entries(this.queue)) out[q] = e.keys.slice();
    return out;
  }

  pendingSection(qid: string): string | null {
    return this.queue[qid]?.sec ?? null;
  }

  /** Records an answer ([] clears) and sends it. */
  set(questionId: string, keys: string[], sectionId: string): void {
    this.queue[questionId] = { keys: keys.slice().sort(), sec: sectionId, seq: ++this.seq };
    if (!queueStore.set(this.attemptId, this.queue)) this.emit((l) => l.storageFailed?.());
    void this.flush();
  }

  /** Sends everything queued; resolves true once the queue is empty, false if something is left. */
  flush(): Promise<boolean> {
    if (this.inflight) {
      this.again = true;
      return this.inflight.then(() => (this.pendingCount() ? this.flush() : true));
    }
    if (!this.pendingCount()) {
      this.setStatus('saved');
      return Promise.resolve(true);
    }
    this.inflight = this.run().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  stop(): void {
    window.removeEventListener('online', this.onOnline);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.setStatus('stopped');
  }

  private readonly onOnline = () => {
    void this.flush();
  };

  private async run(): Promise<boolean> {
    for (let round = 0; round < 200; round++) {
      this.again = false;
      const batch = Object.entries(this.queue);
      if (!batch.length) break;
      this.setStatus('saving');
      const answers = dict<string[]>();
      for (const [q, e] of batch) answers[q] = e.keys;
      try {
        await call('PUT', `/v1/attempts/${encodeURIComponent(this.attemptId)}/answers`, {
          body: { answers },
          timeoutMs: PUT_TIMEOUT_MS,
        });
        this.lastNetworkFailure = false;
        for (const [q, e] of batch) if (this.queue[q]?.seq === e.seq) delete this.queue[q];
        queueStore.set(this.attemptId, this.queue);
      } catch (e) {
        if (
          !this.handleError(
            e,
            batch.map(([q]) => q),
          )
        )
          return false;
      }
    }
    const left = this.pendingCount();
    this.setStatus(left ? (this.lastNetworkFailure ? 'offline' : 'retrying') : 'saved');
    return left === 0;
  }

  /** Returns true when the loop should go on (something was dropped), false to wait for a retry. */
  private handleError(e: unknown, sent: string[]): boolean {
    if (isNetworkError(e)) {
      this.lastNetworkFailure = true;
      this.setStatus('offline');
      return false;
    }
    this.lastNetworkFailure = false;
    if (!(e instanceof ApiError)) {
      this.setStatus('retrying');
      return false;
    }
    const qid = e.questionId;
    switch (e.code) {
      case 'section_closed': {
        // Time is up (past the grace) or the section was submitted: nothing of that section can be saved.
        const sec = qid ? this.queue[qid]?.sec : undefined;
        const gone = Object.entries(this.queue).filter(([q, x]) => (sec ? x.sec === sec : sent.includes(q)));
        this.drop(gone.map(([q, x]) => ({ questionId: q, sectionId: x.sec, reason: 'section_closed' as const })));
        this.emit((l) => l.sectionClosed?.());
        return true;
      }
      case 'invalid_choice':
      case 'question_not_in_section': {
        const bad = qid && this.queue[qid] ? [qid] : sent;
        this.drop(bad.map((q) => ({ questionId: q, sectionId: this.queue[q]?.sec ?? '', reason: 'refused' as const })));
        if (e.code === 'question_not_in_section') this.emit((l) => l.sectionClosed?.());
        return true;
      }
      case 'validation_failed':
      case 'payload_too_large': {
        // Cannot succeed by repeating: drop what was sent, say so.
        this.drop(
          sent.map((q) => ({ questionId: q, sectionId: this.queue[q]?.sec ?? '', reason: 'refused' as const })),
        );
        return true;
      }
      case 'not_found': {
        // The try is not there (not this candidate's, or long gone): nothing can be saved to it.
        this.drop(
          Object.keys(this.queue).map((q) => ({
            questionId: q,
            sectionId: this.queue[q]!.sec,
            reason: 'refused' as const,
          })),
        );
        return true;
      }
      default:
        // 401 (kept until the candidate logs in again), 429, 5xx: keep everything, retry later.
        this.setStatus('retrying');
        return false;
    }
  }

  private drop(items: DroppedAnswer[]) {
    if (!items.length) return;
    for (const d of items) delete this.queue[d.questionId];
    queueStore.set(this.attemptId, this.queue);
    this.emit((l) => l.dropped?.(items));
  }

  private setStatus(s: SaveStatus) {
    if (this._status === 'stopped') return;
    this._status = s;
    const n = this.pendingCount();
    this.emit((l) => l.status?.(s, n));
  }

  private emit(fn: (l: Partial<SaverEvents>) => void) {
    for (const l of this.listeners) {
      try {
        fn(l);
      } catch (err) {
        console.error(err);
      }
    }
  }
}

const savers = new Map<string, Saver>();
/** One saver per try for the life of the page: it keeps sending even when the candidate looks elsewhere. */
export function saverFor(attemptId: string): Saver {
  let s = savers.get(attemptId);
  if (!s) savers.set(attemptId, (s = new Saver(attemptId)));
  return s;
}
