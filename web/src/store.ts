// Everything the client keeps in the browser (localStorage, so it survives a reload or a closed
// tab): the session token, display preferences, and per try the answers not yet acknowledged by
// the server, the flags, and the question last looked at.

const P = 'dk.';

function read<T>(key: string, fallback: T): T {
  try {
    const raw = localStorage.getItem(P + key);
    return raw == null ? fallback : (JSON.parse(raw) as T);
  } catch {
    return fallback;
  }
}

function write(key: string, value: unknown): boolean {
  try {
    if (value === null || value === undefined) localStorage.removeItem(P + key);
    else localStorage.setItem(P + key, JSON.stringify(value));
    return true;
  } catch {
    // Storage full or disabled (some private modes): the answer is still sent at once.
    return false;
  }
}

export interface Session {
  token: string;
  expiresAt: string;
}

export const session = {
  get(): Session | null {
    const s = read<Session | null>('session', null);
    if (!s || !s.token) return null;
    if (Date.parse(s.expiresAt) < Date.now() - 60_000) return null;
    return s;
  },
  set(s: Session | null) {
    write('session', s);
  },
};

export interface Prefs {
  large: boolean;
  contrast: boolean;
}

export const prefs = {
  get(): Prefs {
    return { large: false, contrast: false, ...read<Partial<Prefs>>('prefs', {}) };
  },
  set(p: Prefs) {
    write('prefs', p);
  },
};

/** An answer waiting to be acknowledged: the letters chosen, the section it belongs to, a sequence number. */
export interface QueuedAnswer {
  keys: string[];
  sec: string;
  seq: number;
}
export type Queue = Record<string, QueuedAnswer>;

export const queueStore = {
  get(attemptId: string): Queue {
    return read<Queue>(`queue.${attemptId}`, {});
  },
  set(attemptId: string, q: Queue): boolean {
    return write(`queue.${attemptId}`, Object.keys(q).length ? q : null);
  },
};

export const flagStore = {
  get(attemptId: string): string[] {
    return read<string[]>(`flags.${attemptId}`, []);
  },
  set(attemptId: string, ids: string[]) {
    write(`flags.${attemptId}`, ids.length ? ids : null);
  },
};

export const positionStore = {
  get(attemptId: string): { sec: string; q: string } | null {
    return read<{ sec: string; q: string } | null>(`pos.${attemptId}`, null);
  },
  set(attemptId: string, pos: { sec: string; q: string }) {
    write(`pos.${attemptId}`, pos);
  },
};

/** The last try this browser saw finish, for a link to its result on the home page. */
export const lastResult = {
  get(): string | null {
    return read<string | null>('lastResult', null);
  },
  set(attemptId: string) {
    write('lastResult', attemptId);
  },
};

/** Removes what belongs to finished tries (queues are emptied before a try is left). */
export function forgetAttempt(attemptId: string) {
  write(`flags.${attemptId}`, null);
  write(`pos.${attemptId}`, null);
  if (!Object.keys(queueStore.get(attemptId)).length) write(`queue.${attemptId}`, null);
}
