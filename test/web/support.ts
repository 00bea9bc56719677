// Browser tests: Debian's Chromium driven by playwright-core (never a downloaded browser) against a
// whole engine (startTestEngine) with the web client built and mounted.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildWeb } from '../../web/build.mjs';
import { mountWebClient } from '../../src/http/static.js';
import { startTestEngine, type TestEngine } from '../support/engine.js';
import { openWindow, registration, RIGHT } from '../support/fixtures.js';
import { login } from '../support/sitting.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A marker that is in every explanation: it must never reach the candidate's browser. */
export const SECRET = '解析-不得外泄';

let built: Promise<string> | null = null;
let builtDir: string | null = null;
/** Builds the client once per test file into a directory of its own (dist/web is left alone). */
export function buildClientOnce(): Promise<string> {
  if (!built) {
    builtDir = mkdtempSync(path.join(tmpdir(), 'dk-web-'));
    built = buildWeb({ outdir: path.join(builtDir, 'web'), quiet: true });
  }
  return built;
}

/** Removes what buildClientOnce wrote (call in afterAll). */
export function removeBuiltClient() {
  if (builtDir) rmSync(builtDir, { recursive: true, force: true });
  builtDir = null;
  built = null;
}

export async function startWebEngine(env: Record<string, string> = {}): Promise<{ t: TestEngine; webRoot: string }> {
  const webRoot = await buildClientOnce();
  const t = await startTestEngine(env);
  // Mounts the client, or (when src/engine.ts already did) points it at this build instead of dist/web.
  mountWebClient(t.engine.app, { root: webRoot });
  return { t, webRoot };
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  // playwright gives every launch a fresh temporary user-data dir and removes it on close.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

// ------------------------------------------------------------------ content

function single(id: string, topic = '测试') {
  return {
    id,
    type: 'single' as const,
    stem: `${id}：下列哪一项符合规定？`,
    options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({
      key,
      text: key === 'C' ? `${RIGHT}${id} 的正确选项` : `${id} 的干扰项 ${key}`,
    })),
    answer: ['C'],
    points: 1,
    topic,
    explanation: `${SECRET} ${id}`,
  };
}

export function lawBank(n = 6) {
  return {
    bankId: 'law',
    title: '法律法规',
    questions: Array.from({ length: n }, (_, i) => single(`law-q${i + 1}`, '医师法')),
  };
}

/** Eight items, one of each layout: 2 single, a case of 2, a matching group of 2, 1 multiple, 1 true/false. */
export function specialtyBank() {
  return {
    bankId: 'internal-medicine',
    title: '内科',
    questions: [
      single('im-q1'),
      single('im-q2'),
      {
        id: 'im-c1',
        type: 'case',
        stem: '患者，男，58 岁。反复胸痛 2 年，加重 3 小时。心电图示 V1–V4 导联 ST 段抬高。',
        questions: [1, 2].map((j) => ({ ...single(`im-c1-${j}`), stem: `病例问题 ${j}：最可能的诊断是？` })),
      },
      {
        id: 'im-m1',
        type: 'matching',
        stem: '请为下列每题选择最合适的药物。',
        options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({
          key,
          text: key === 'B' ? `${RIGHT}配伍选项 B` : `配伍选项 ${key}`,
        })),
        questions: [1, 2].map((j) => ({
          id: `im-m1-${j}`,
          stem: `配伍问题 ${j}：首选的药物是`,
          answer: ['B'],
          points: 1,
          explanation: `${SECRET} m${j}`,
        })),
      },
      {
        id: 'im-x1',
        type: 'multiple',
        stem: '下列哪些属于多选题的正确选项？',
        options: ['A', 'B', 'C', 'D', 'E'].map((key) => ({
          key,
          text: key === 'A' || key === 'C' ? `${RIGHT}多选 ${key}` : `多选干扰 ${key}`,
        })),
        answer: ['A', 'C'],
        points: 1,
        explanation: `${SECRET} x1`,
      },
      {
        id: 'im-t1',
        type: 'truefalse',
        stem: '判断：医师应当如实记录病历。',
        answer: ['T'],
        points: 1,
        explanation: `${SECRET} t1`,
      },
    ],
  };
}

export function policy(id: string, lawSec: number, specSec: number) {
  return {
    id,
    title: '浏览器测试',
    exams: [
      {
        id: 'business',
        maxAttempts: 3,
        sections: [
          { id: 'law', title: '法律法规', bank: 'law', durationSec: lawSec, items: 4, points: 4, passMark: 3 },
          {
            id: 'specialty',
            title: '专业知识',
            bank: '@specialty',
            durationSec: specSec,
            items: 8,
            points: 8,
            passMark: 5,
          },
        ],
      },
    ],
  };
}

export async function setUpContent(t: TestEngine) {
  for (const bank of [lawBank(), specialtyBank()]) {
    const r = await t.admin('PUT', `/v1/admin/banks/${bank.bankId}`, bank);
    if (r.status !== 201) throw new Error(`bank ${bank.bankId}: ${r.status} ${r.text}`);
  }
}

export async function cycle(t: TestEngine, cycleId: string, lawSec: number, specSec: number) {
  const r = await t.admin('PUT', `/v1/admin/cycles/${cycleId}`, {
    title: `测试周期 ${cycleId}`,
    ...openWindow(),
    policy: policy(cycleId, lawSec, specSec),
  });
  if (r.status !== 200) throw new Error(`cycle ${cycleId}: ${r.status} ${r.text}`);
}

export async function candidate(t: TestEngine, cycleId: string, overrides: Record<string, unknown> = {}) {
  const reg = registration({ name: '李华', ...overrides });
  const r = await t.admin('POST', `/v1/admin/cycles/${cycleId}/candidates`, { candidates: [reg] });
  if (r.body.results?.[0]?.status !== 'created') throw new Error(`registration: ${r.text}`);
  return { idNumber: reg.idNumber, password: reg.password };
}

/** The candidate's own view of a try, through the public API with a session of its own. */
export async function apiView(t: TestEngine, who: { idNumber: string; password: string }, attemptId: string) {
  const token = await login(t, who.idNumber, who.password);
  const r = await t.call('GET', `/v1/attempts/${attemptId}`, { token });
  if (r.status !== 200) throw new Error(`view: ${r.status} ${r.text}`);
  return r.body;
}

// ------------------------------------------------------------------ page helpers

/** A fresh browser context and page; `errors` collects script errors and CSP refusals of every page in it. */
export async function newPage(
  browser: Browser,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({
    viewport,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    deviceScaleFactor: 1,
  });
  const errors: string[] = [];
  const watch = (page: Page) => {
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (
        m.type() === 'error' &&
        /Content Security Policy|TrustedHTML|Trusted Type|Refused to|Uncaught/i.test(m.text())
      )
        errors.push(m.text());
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  return { context, page, errors };
}

export async function loginInPage(page: Page, baseUrl: string, who: { idNumber: string; password: string }) {
  await page.goto(`${baseUrl}/#/login`);
  await page.fill('#idNumber', who.idNumber);
  await page.fill('#password', who.password);
  await page.click('form button[type="submit"]');
  await page.waitForSelector('#outcome');
}

/** Starts a try from the home page; resolves with its id once the exam screen shows. */
export async function startInPage(page: Page): Promise<string> {
  await page.click('a[href="#/start"]');
  await page.check('#agree');
  await page.click('#start');
  await page.waitForSelector('.question');
  const m = /#\/exam\/(.+)$/.exec(page.url());
  if (!m) throw new Error(`not on an exam page: ${page.url()}`);
  return decodeURIComponent(m[1]!);
}

/** The letters of the right options of the question shown as number `no` (1-based). */
export async function rightKeys(page: Page, no: number): Promise<string[]> {
  return page.$$eval(
    `.question[data-index="${no - 1}"] .opt`,
    (els, right) =>
      els
        .filter((e) => (e.textContent ?? '').includes(right) || (e.getAttribute('aria-label') ?? '').includes(right))
        .map((e) => e.getAttribute('data-key')!),
    RIGHT,
  );
}

export async function saved(page: Page) {
  await page.waitForFunction(() => {
    const el = (globalThis as any).document.getElementById('save-status');
    return el && el.classList.contains('saved') && el.getAttribute('data-pending') === '0';
  });
}

export async function sectionTitle(page: Page) {
  return (await page.textContent('#section-title')) ?? '';
}
