// The static handler (src/http/static.ts): what it serves, with which cache headers and CSP.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_IMMUTABLE, CONTENT_SECURITY_POLICY, mountWebClient } from '../../src/http/static.js';
import type { TestEngine } from '../support/engine.js';
import { startWebEngine, removeBuiltClient } from './support.js';

let t: TestEngine;
let webRoot: string;

beforeAll(async () => {
  ({ t, webRoot } = await startWebEngine());
});
afterAll(async () => {
  await t?.close();
  removeBuiltClient();
});

describe('the web client’s static files', () => {
  it('serves index.html at / with no-cache, an ETag and a strict Content-Security-Policy', async () => {
    const r = await fetch(`${t.url}/`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('cache-control')).toBe('no-cache');
    const csp = r.headers.get('content-security-policy')!;
    expect(csp).toBe(CONTENT_SECURITY_POLICY);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("require-trusted-types-for 'script'");
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await r.text();
    expect(html).toContain('<html lang="zh-CN">');
    // No inline script: every <script> has a src.
    expect(html.match(/<script\b[^>]*>/g)!.every((tag) => /\bsrc="\/assets\/main-[A-Z0-9]+\.js"/.test(tag))).toBe(true);
    expect(html).not.toMatch(/<script\b[^>]*>[^<\s]/);
    expect(html).not.toMatch(/\son[a-z]+="/);

    const again = await fetch(`${t.url}/`, { headers: { 'if-none-match': r.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${t.url}/index.html`)).status).toBe(200);
  });

  it('serves hashed assets for a year, compressed when the browser accepts it', async () => {
    const assets = readdirSync(path.join(webRoot, 'assets'));
    const js = assets.find((f) => /^main-[A-Z0-9]+\.js$/.test(f))!;
    const css = assets.find((f) => /^styles-[A-Z0-9]+\.css$/.test(f))!;
    const r = await fetch(`${t.url}/assets/${js}`, { headers: { 'accept-encoding': 'identity' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/javascript/);
    expect(r.headers.get('cache-control')).toBe(CACHE_IMMUTABLE);
    expect(r.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const body = await r.text();
    expect(body).not.toMatch(/\beval\(|new Function\(/);
    expect(body).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|document\.write/);

    const br = await fetch(`${t.url}/assets/${css}`, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(br.status).toBe(200);
    expect(br.headers.get('content-encoding')).toBe('br');
    expect(br.headers.get('content-type')).toMatch(/text\/css/);
    expect(await br.text()).toContain('--primary');

    const missing = await fetch(`${t.url}/assets/main-NOPE.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('cache-control')).not.toBe(CACHE_IMMUTABLE);
    expect((await fetch(`${t.url}/assets/..%2f..%2fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/favicon.svg`)).headers.get('content-type')).toMatch(/svg/);
  });

  it('leaves the API alone, and mounting twice adds nothing', async () => {
    mountWebClient(t.engine.app, { root: webRoot });
    const r = await fetch(`${t.url}/v1/me`);
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });

  it('says the client is not built rather than failing, and can be pointed at another build', async () => {
    const app = new Hono();
    mountWebClient(app, { root: path.join(webRoot, 'no-such-build') });
    const missing = await app.request('/');
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build');
    mountWebClient(app, { root: webRoot });
    const r = await app.request('/');
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('/assets/main-');
    const js = readdirSync(path.join(webRoot, 'assets')).find((f) => /^main-[A-Z0-9]+\.js$/.test(f))!;
    expect((await app.request(`/assets/${js}`)).status).toBe(200);
  });
});
