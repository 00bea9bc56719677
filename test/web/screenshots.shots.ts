// Screenshots of every page at desktop (1280×800) and phone (390×844) width, into docs/screenshots/.
// Not part of `npm test` (they rewrite committed files): `npm run screenshots` runs this file alone.
// They use the shipped banks and the Beijing policy, so the pages look as a candidate sees them.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { TestEngine } from '../support/engine.js';
import { openWindow, registration } from '../support/fixtures.js';
import { DESKTOP, launch, newPage, PHONE, saved, setUpContent, startWebEngine, removeBuiltClient } from './support.js';

const OUT = path.resolve('docs/screenshots');

let t: TestEngine;
let browser: Browser;

describe('screenshots', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    ({ t } = await startWebEngine({ ANSWER_GRACE_MS: '1000' }));
    let shipped = true;
    for (const bankId of ['law', 'internal-medicine']) {
      const bank = JSON.parse(readFileSync(`question-banks/${bankId}.json`, 'utf8'));
      const r = await t.admin('PUT', `/v1/admin/banks/${bankId}`, bank);
      if (r.status !== 201) shipped = false;
    }
    if (!shipped) await setUpContent(t);
    const r = await t.admin('PUT', '/v1/admin/cycles/shots', {
      title: '北京市医师定期考核 2026 年度 业务水平测评',
      ...openWindow(24 * 30),
      policy: 'beijing',
    });
    expect(r.status).toBe(200);
    browser = await launch();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    removeBuiltClient();
  });

  const shot = async (page: Page, name: string, width: string, fullPage = false) => {
    // Passing notices would cover the page.
    for (const close of await page.$$('.notice-close')) await close.click().catch(() => {});
    await page.screenshot({ path: path.join(OUT, `${name}-${width}.png`), fullPage });
  };

  /** Right letters per question id, in this candidate's lettering, from the admin's record of the try. */
  async function keysOf(attemptId: string): Promise<Map<string, string[]>> {
    await expect
      .poll(async () => (await t.admin('GET', `/v1/admin/attempts/${attemptId}`)).status, { timeout: 15_000 })
      .toBe(200);
    const rec = (await t.admin('GET', `/v1/admin/attempts/${attemptId}`)).body;
    const map = new Map<string, string[]>();
    for (const s of rec.paper.sections)
      for (const q of s.questions)
        map.set(
          q.id,
          q.type === 'truefalse' ? q.correct : q.correct.map((k: string) => 'ABCDEFGH'[q.optionOrder.indexOf(k)]),
        );
    return map;
  }

  async function answerCurrent(page: Page, keys: Map<string, string[]>, wrong = false) {
    const qid = await page.getAttribute('.question.current', 'data-qid');
    const right = keys.get(qid!)!;
    const letters = wrong ? [right[0] === 'A' ? 'B' : 'A'] : right;
    for (const k of letters) await page.keyboard.press(k);
  }

  for (const [width, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`every page at ${width} width`, async () => {
      const reg = registration({ name: '张明', specialty: 'internal-medicine' });
      await t.admin('POST', '/v1/admin/cycles/shots/candidates', { candidates: [reg] });
      const { context, page } = await newPage(browser, viewport);

      await page.goto(`${t.url}/#/login`);
      await page.waitForSelector('#idNumber');
      await shot(page, '01-login', width);
      await page.fill('#idNumber', reg.idNumber);
      await page.fill('#password', reg.password);
      await page.click('form button[type="submit"]');
      await page.waitForSelector('#outcome');
      await shot(page, '02-home', width, true);

      await page.click('a[href="#/start"]');
      await page.check('#agree');
      await shot(page, '03-start', width, true);
      await page.click('#start');
      await page.waitForSelector('.question');
      const attemptId = decodeURIComponent(/#\/exam\/(.+)$/.exec(page.url())![1]!);
      const keys = await keysOf(attemptId);
      const total = async () => page.$$eval('#nav-grid .cell', (els) => els.length);

      // 法律法规: a few answered, one flagged, one left open.
      for (let i = 0; i < 6; i++) {
        if (i !== 4) await answerCurrent(page, keys);
        if (i === 3) await page.click('.question.current .flag-btn');
        await page.keyboard.press('ArrowRight');
      }
      await saved(page);
      await shot(page, '04-exam', width);
      if (width === 'phone') {
        await page.click('#nav-toggle');
        await shot(page, '05-navigator', width);
        await page.click('.nav-close');
      }
      await context.setOffline(true);
      await answerCurrent(page, keys);
      await expect.poll(() => page.textContent('#save-status')).toContain('离线');
      await shot(page, '06-offline', width);
      await context.setOffline(false);
      await saved(page);
      const n = await total();
      for (let i = 7; i < n; i++) {
        await page.keyboard.press('ArrowRight');
        await answerCurrent(page, keys, i % 6 === 0);
      }
      await saved(page);
      await page.click('#submit-top');
      await page.waitForSelector('.dialog[role="dialog"]');
      await shot(page, '07-submit', width);
      await page.click('.dialog-actions .btn.primary');
      await expect.poll(() => page.textContent('#section-title')).toContain('专业知识');
      await page.waitForTimeout(300);

      // 专业知识: answered in order; a case and a matching group photographed on the way.
      const m = await total();
      let caseShot = false;
      let matchShot = false;
      for (let i = 0; i < m; i++) {
        const firstOfUnit = (await page.$eval('.question', (e) => e.getAttribute('data-index'))) === String(i);
        const kind = (await page.$('.group-stem.case'))
          ? 'case'
          : (await page.$('.group-stem.matching'))
            ? 'matching'
            : null;
        await answerCurrent(page, keys, !kind && i % 7 === 0);
        if (firstOfUnit && ((kind === 'case' && !caseShot) || (kind === 'matching' && !matchShot))) {
          await page.evaluate('window.scrollTo(0, 0)');
          await shot(page, kind === 'case' ? '08-exam-case' : '09-exam-matching', width);
          if (kind === 'case') caseShot = true;
          else matchShot = true;
        }
        if (i === m - 1) {
          await page.click('button[data-pref="large"]');
          await page.click('button[data-pref="contrast"]');
          await page.evaluate('window.scrollTo(0, 0)');
          await shot(page, '10-exam-large-contrast', width);
          await page.click('button[data-pref="large"]');
          await page.click('button[data-pref="contrast"]');
        } else await page.keyboard.press('ArrowRight');
      }
      await saved(page);
      await page.click('#submit-top');
      await page.click('.dialog-actions .btn.primary');
      await page.waitForSelector('#verdict');
      await shot(page, '11-result', width, true);
      await context.close();
    }, 180_000);
  }
});
