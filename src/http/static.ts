// The candidate's web client (web/, built by `npm run build` into dist/web) served by the engine at
// `/`. Hashed assets under /assets/ are cached for a year; index.html is revalidated on every load
// so a new build reaches candidates at once. Every response carries a strict Content-Security-Policy:
// scripts and styles from this origin only, no inline script, no eval, Trusted Types enforced (the
// client never assigns HTML strings), no framing.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context, Hono, MiddlewareHandler } from 'hono';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
};

export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
export const CACHE_REVALIDATE = 'no-cache';
const CACHE_PLAIN = 'public, max-age=3600';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** dist/web beside compiled code (dist/http → dist/web), or from the sources (src/http → dist/web). */
export function defaultWebRoot(): string {
  const candidates = [path.resolve(HERE, '../web'), path.resolve(HERE, '../../dist/web')];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[candidates.length - 1]!;
}

const mounted = new WeakMap<object, { root: string }>();

/**
 * Mounts the web client on the app: `/` (and `/index.html`), `/assets/*`, `/favicon.svg`, served
 * from `root` (default: dist/web). Mount after the API routes. Calling it again on the same app
 * mounts nothing more; with a `root` it points the app at that build instead (tests use their own).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function mountWebClient(app: Hono<any, any, any>, opts: { root?: string } = {}): void {
  const existing = mounted.get(app);
  if (existing) {
    if (opts.root) existing.root = path.resolve(opts.root);
    return;
  }
  const site = { root: path.resolve(opts.root ?? defaultWebRoot()) };
  mounted.set(app, site);

  const secure: MiddlewareHandler = async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  };
  const cache =
    (value: string): MiddlewareHandler =>
    async (c, next) => {
      await next();
      if (c.res.status === 200 || c.res.status === 206 || c.res.status === 304)
        c.res.headers.set('Cache-Control', value);
    };

  // index.html is small: read it on each request (a rebuild is picked up at once), ETag for 304s.
  let cached: { file: string; mtimeMs: number; size: number; body: string; etag: string } | null = null;
  const index = (c: Context) => {
    const file = path.join(site.root, 'index.html');
    let stat;
    try {
      stat = statSync(file);
    } catch {
      c.header('Cache-Control', CACHE_REVALIDATE);
      return c.html(NOT_BUILT, 503);
    }
    if (!cached || cached.file !== file || cached.mtimeMs !== stat.mtimeMs || cached.size !== stat.size) {
      const body = readFileSync(file, 'utf8');
      cached = {
        file,
        mtimeMs: stat.mtimeMs,
        size: stat.size,
        body,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      };
    }
    c.header('Cache-Control', CACHE_REVALIDATE);
    c.header('ETag', cached.etag);
    if (c.req.header('if-none-match') === cached.etag) return c.body(null, 304);
    return c.html(cached.body, 200);
  };

  app.use('/', secure);
  app.use('/index.html', secure);
  app.use('/assets/*', secure, cache(CACHE_IMMUTABLE));
  app.use('/favicon.svg', secure, cache(CACHE_PLAIN));
  app.get('/', index);
  app.get('/index.html', index);
  // serveStatic takes its root once: keep one handler per root.
  const handlers = new Map<string, { assets: MiddlewareHandler; favicon: MiddlewareHandler }>();
  const forRoot = () => {
    let h = handlers.get(site.root);
    if (!h) {
      h = {
        assets: serveStatic({ root: site.root, precompressed: true }),
        favicon: serveStatic({ root: site.root, path: 'favicon.svg' }),
      };
      handlers.set(site.root, h);
    }
    return h;
  };
  app.get('/assets/*', (c, next) => forRoot().assets(c, next));
  app.get('/favicon.svg', (c, next) => forRoot().favicon(c, next));
}

const NOT_BUILT = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>网页客户端尚未构建</title>
<p>网页客户端尚未构建：请先运行 <code>npm run build</code>（或 <code>npm start</code>，它会先构建）。</p>
<p>The web client has not been built: run <code>npm run build</code>.</p></html>`;
