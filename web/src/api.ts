// The engine's HTTP API, same origin. Errors come back as problem+json with a stable `code`;
// anything that never reached the server (offline, timeout) is a NetworkError.
import { syncClock } from './clock';
import { session } from './store';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfterSec: number | null,
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ApiError';
  }
  get questionId(): string | null {
    return typeof this.body.questionId === 'string' ? this.body.questionId : null;
  }
}

export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

export const isNetworkError = (e: unknown): e is NetworkError => e instanceof NetworkError;
export const isApiError = (e: unknown, code?: string): e is ApiError =>
  e instanceof ApiError && (!code || e.code === code);

type Listener = () => void;
let unauthenticated: Listener = () => {};
/** Called when the server says the session is gone (401), after the token is dropped. */
export function onUnauthenticated(fn: Listener) {
  unauthenticated = fn;
}

function retryAfter(res: Response): number | null {
  const h = res.headers.get('retry-after');
  if (!h) return null;
  const n = Number(h);
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(h);
  return Number.isFinite(at) ? Math.max(0, Math.ceil((at - Date.now()) / 1000)) : null;
}

export interface CallOptions {
  body?: unknown;
  timeoutMs?: number;
  /** Send the session token (default true). */
  auth?: boolean;
}

export async function call<T>(method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const s = opts.auth === false ? null : session.get();
  if (s) headers.authorization = `Bearer ${s.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), opts.timeoutMs ?? 20_000);
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: abort.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new NetworkError(abort.signal.aborted ? '请求超时' : (e as Error).message || '网络错误');
  } finally {
    clearTimeout(timer);
  }
  const receivedAt = Date.now();
  let data: Record<string, unknown> = {};
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text) as Record<string, unknown>;
    } catch {
      data = {};
    }
  }
  if (typeof data.serverTime === 'string') syncClock(data.serverTime, receivedAt);
  if (!res.ok) {
    const code = typeof data.code === 'string' ? data.code : res.status >= 500 ? 'server_error' : `http_${res.status}`;
    const detail =
      typeof data.detail === 'string' ? data.detail : typeof data.title === 'string' ? data.title : res.statusText;
    const err = new ApiError(res.status, code, detail, retryAfter(res), data);
    if (res.status === 401 && opts.auth !== false && s) {
      session.set(null);
      unauthenticated();
    }
    throw err;
  }
  return data as T;
}
