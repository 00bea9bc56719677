// The candidate's web client in a real browser (Debian's Chromium via playwright-core) against a
// whole engine: logging in, a full sitting, a reload, a spell offline, a section timing out, and
// that nothing the browser receives or shows carries an answer key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Response } from 'playwright-core';
import type { TestEngine } from '../support/engine.js';
import { allKeys } from '../support/fixtures.js';
import {
  apiView,
  candidate,
  cycle,
  launch,
  loginInPage,
  newPage,
  PHONE,
  removeBuiltClient,
  rightKeys,
  saved,
  sectionTitle,
  SECRET,
  setUpContent,
  startInPage,
  startWebEngine,
} from './support.js';

let t: TestEngine;
let browser: Browser;

beforeAll(async () => {
  ({ t } = await startWebEngine({ ANSWER_GRACE_MS: '1000' }));
  await setUpContent(t);
  await cycle(t, 'web-long', 600, 900);
  await cycle(t, 'web-short', 12, 12);
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  removeBuiltClient();
});

/** Records every body the page receives from the API. */
function record(page: Page) {
  const bodies: unknown[] = [];
  const texts: string[] = [];
  page.on('response', async (r: Response) => {
    if (!r.url().includes('/v1/')) return;
    const text = await r.text().catch(() => '');
    texts.push(text);
    try {
      bodies.push(JSON.parse(text));
    } catch {
      /* not JSON */
    }
  });
  return { bodies, texts };
}

async function answerRight(page: Page, no: number, how: 'click' | 'key') {
  const keys = await rightKeys(page, no);
  expect(keys.length).toBeGreaterThan(0);
  for (const k of keys) {
    if (how === 'key') await page.keyboard.press(k);
    else await page.click(`.question[data-index="${no - 1}"] .opt[data-key="${k}"]`);
  }
  return keys;
}

async function checked(page: Page, no: number): Promise<string[]> {
  return page.$$eval(`.question[data-index="${no - 1}"] .opt[aria-checked="true"]`, (els) =>
    els.map((e) => e.getAttribute('data-key')!),
  );
}

async function confirmSubmit(page: Page) {
  await page.click('#submit-top');
  await page.waitForSelector('.dialog[role="dialog"]');
  const text = (await page.textContent('.dialog[role="dialog"]')) ?? '';
  await page.click('.dialog-actions .btn.primary');
  return text;
}

describe('logging in', () => {
  it('says clearly when the password is wrong, and when too many tries locked the account', async () => {
    const who = await candidate(t, 'web-long');
    const { context, page, errors } = await newPage(browser);
    await page.goto(`${t.url}/`);
    await page.waitForSelector('#idNumber');
    await page.fill('#idNumber', who.idNumber);
    await page.fill('#password', 'not-the-password');
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.textContent('#login-error')).toContain('身份证号或密码错误');

    for (let i = 0; i < 5; i++)
      await t.call('POST', '/v1/auth/login', { body: { idNumber: who.idNumber, password: 'wrong' } });
    await page.fill('#password', who.password);
    await page.click('form button[type="submit"]');
    await expect.poll(() => page.textContent('#login-error')).toMatch(/登录失败次数过多.*请 1[45] 分钟后再试/);
    expect(await page.isDisabled('form button[type="submit"]')).toBe(true);
    expect(await page.textContent('form button[type="submit"]')).toMatch(/请 1[45] 分 \d\d 秒 后再试/);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('a full sitting in the browser', () => {
  it('logs in, shows the rules from /v1/me, sits both sections in every layout and ends on the result page', async () => {
    const who = await candidate(t, 'web-long');
    const { context, page, errors } = await newPage(browser);
    // The device's clock is two hours fast: the countdown must follow the server's clock anyway.
    await context.addInitScript('{ const real = Date.now; Date.now = () => real() + 2 * 3600 * 1000; }');
    const seen = record(page);

    await loginInPage(page, t.url, who);
    expect(await page.textContent('.summary')).toBe(
      '法律法规 10 分钟 / 4 分 / 3 分合格；专业知识 15 分钟 / 8 分 / 5 分合格；最多 3 次',
    );
    expect(await page.textContent('#tries')).toContain('已考 0 次');
    expect(await page.textContent('#outcome')).toBe('尚未参加');

    const attemptId = await startInPage(page);
    expect(await sectionTitle(page)).toContain('法律法规');
    const countdown = (await page.textContent('#countdown'))!;
    expect(countdown).toMatch(/^(10:00|09:5\d)$/);

    // 法律法规: four single-answer questions, by mouse and by keyboard, moving with →.
    for (let no = 1; no <= 4; no++) {
      await answerRight(page, no, no % 2 ? 'click' : 'key');
      if (no < 4) {
        await page.keyboard.press('ArrowRight');
        await page.waitForSelector(`.question.current[data-index="${no}"]`);
      }
    }
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('.question.current[data-index="2"]');
    await saved(page);
    expect(await page.textContent('#save-status')).toBe('已保存');
    expect(await page.$$eval('#nav-grid .cell.answered', (els) => els.length)).toBe(4);
    const law = await confirmSubmit(page);
    expect(law).toContain('未答 0 题');
    expect(law).toContain('交卷后将立即开始「专业知识」');

    // 专业知识: the next section started at once, with its own time.
    await expect.poll(() => sectionTitle(page)).toContain('专业知识');
    expect(await page.textContent('#countdown')).toMatch(/^(15:00|14:5\d)$/);
    expect(await page.textContent('.notices')).toContain('现在开始「专业知识」');
    expect(await page.$$eval('.question', (els) => els.length)).toBe(1);

    await answerRight(page, 1, 'key');
    await page.keyboard.press('ArrowRight');
    await answerRight(page, 2, 'click');
    await page.keyboard.press('ArrowRight');

    // A case: the shared 病例 stem above both of its questions, on one screen.
    await page.waitForSelector('.group-stem.case');
    expect(await page.textContent('.group-stem.case')).toContain('反复胸痛 2 年');
    expect(await page.$$eval('.question', (els) => els.map((e) => e.getAttribute('data-index')))).toEqual(['2', '3']);
    await answerRight(page, 3, 'key');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('.question.current[data-index="3"]');
    await answerRight(page, 4, 'key');
    await page.keyboard.press('ArrowRight');

    // A matching group: the shared options shown once, letters only under each question.
    await page.waitForSelector('.group-stem.matching');
    expect(await page.$$eval('.shared-options li', (els) => els.length)).toBe(5);
    expect(await page.$$eval('.question', (els) => els.length)).toBe(2);
    expect(await page.$$eval('.options.letters .opt .text', (els) => els.length)).toBe(0);
    await answerRight(page, 5, 'click');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight'); // question 6 stays unanswered

    // Multiple choice: checkboxes, two keys toggled on.
    await page.waitForSelector('.question.current[data-index="6"] .opt[role="checkbox"]');
    const multi = await answerRight(page, 7, 'key');
    expect((await checked(page, 7)).sort()).toEqual(multi.sort());
    await page.keyboard.press('ArrowRight');

    // True/false: 正确 / 错误, T and F on the keyboard.
    await page.waitForSelector('.question.current[data-index="7"] .options.truefalse');
    expect(await page.textContent('.question[data-index="7"] .options')).toContain('正确');
    await page.keyboard.press('f');
    expect(await checked(page, 8)).toEqual(['F']);
    await page.keyboard.press('t');
    expect(await checked(page, 8)).toEqual(['T']);

    // A flag is shown in the navigator.
    await page.click('.question[data-index="7"] .flag-btn');
    expect(await page.getAttribute('#nav-grid .cell[data-index="7"]', 'class')).toContain('flagged');
    await saved(page);

    // The page never held an answer key.
    const html = await page.content();
    expect(html).not.toContain(SECRET);
    expect(html.toLowerCase()).not.toContain('correct');

    const spec = await confirmSubmit(page);
    expect(spec).toContain('未答 1 题');
    expect(spec).toContain('第 6 题');
    expect(spec).toContain('最后一部分');

    await page.waitForSelector('#verdict');
    expect(page.url()).toContain(`#/result/${attemptId}`);
    expect(await page.textContent('#verdict')).toContain('考核合格');
    expect(await page.textContent('#verdict')).toContain('11');
    const rows = await page.$$eval('#result-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())),
    );
    expect(rows).toEqual([
      ['法律法规', '4', '4', '3', '合格'],
      ['专业知识', '7', '8', '5', '合格'],
    ]);
    expect(await page.textContent('#tries-left')).toContain('已考 1 次，剩余 2 次');

    // Nothing the API sent this browser held a key, an explanation or the marker in them.
    const keys = allKeys(seen.bodies);
    for (const k of ['answer', 'correct', 'explanation', 'answerKey']) expect(keys.has(k)).toBe(false);
    expect(seen.texts.some((x) => x.includes(SECRET))).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});

describe('never losing an answer', () => {
  it('a reload in the middle resumes the same try with its answers, flags, place and the server’s time', async () => {
    const who = await candidate(t, 'web-long');
    const { context, page, errors } = await newPage(browser, PHONE);
    await loginInPage(page, t.url, who);
    const attemptId = await startInPage(page);
    const a1 = await answerRight(page, 1, 'click');
    await page.click('#next');
    await page.waitForSelector('.question.current[data-index="1"]');
    const a2 = await answerRight(page, 2, 'click');
    await page.click('.question[data-index="1"] .flag-btn');
    await page.click('#next');
    await saved(page);
    await page.waitForTimeout(1500);
    const before = (await page.textContent('#countdown'))!;

    await page.reload();
    await page.waitForSelector('.question');
    expect(page.url()).toContain(`#/exam/${attemptId}`);
    expect(await sectionTitle(page)).toContain('法律法规');
    expect(await page.getAttribute('.question', 'data-index')).toBe('2');
    const after = (await page.textContent('#countdown'))!;
    const secs = (s: string) => Number(s.split(':')[0]) * 60 + Number(s.split(':')[1]);
    expect(secs(after)).toBeLessThanOrEqual(secs(before));
    expect(secs(after)).toBeGreaterThan(secs(before) - 30);
    await page.click('#nav-toggle');
    expect(await page.getAttribute('#nav-grid .cell[data-index="0"]', 'class')).toContain('answered');
    expect(await page.getAttribute('#nav-grid .cell[data-index="1"]', 'class')).toMatch(
      /answered.*flagged|flagged.*answered/,
    );
    expect(await page.getAttribute('#nav-grid .cell[data-index="2"]', 'class')).not.toContain('answered');
    await page.click('#nav-grid .cell[data-index="0"]');
    expect(await checked(page, 1)).toEqual(a1);
    await page.keyboard.press('ArrowRight');
    expect(await checked(page, 2)).toEqual(a2);

    // Opening the site afresh goes straight back to the same try.
    await page.goto(`${t.url}/`);
    await page.waitForURL(`**/#/exam/${attemptId}`);
    await page.waitForSelector('.question');
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it('answers given offline are kept, shown as 离线, and reach the server when the connection returns', async () => {
    const who = await candidate(t, 'web-long');
    const { context, page, errors } = await newPage(browser);
    await loginInPage(page, t.url, who);
    const attemptId = await startInPage(page);
    const a1 = await answerRight(page, 1, 'click');
    await saved(page);

    await context.setOffline(true);
    await page.keyboard.press('ArrowRight');
    const a2 = await answerRight(page, 2, 'key');
    await expect.poll(() => page.textContent('#save-status')).toBe('离线（答案已保存在本机）');
    const queued = await page.evaluate(`localStorage.getItem('dk.queue.${attemptId}')`);
    expect(String(queued)).toContain(a2[0]);
    let server = await apiView(t, who, attemptId);
    const qids: string[] = server.section.questions.map((q: { id: string }) => q.id);
    expect(server.answers[qids[0]!]).toEqual(a1);
    expect(server.answers[qids[1]!]).toBeUndefined();

    await context.setOffline(false);
    await saved(page);
    server = await apiView(t, who, attemptId);
    expect(server.answers[qids[1]!]).toEqual(a2);

    // Offline again: answer, close the tab before the connection returns, then come back.
    await context.setOffline(true);
    await page.keyboard.press('ArrowRight');
    const a3 = await answerRight(page, 3, 'click');
    await expect.poll(() => page.getAttribute('#save-status', 'data-pending')).toBe('1');
    await page.close();
    await context.setOffline(false);
    // Whether a request the closed tab had in flight still lands is up to the browser; what matters
    // is that reopening the page delivers the answer from the local queue, checked below.

    const again = await context.newPage();
    await again.goto(`${t.url}/`);
    await again.waitForSelector('.question');
    expect(again.url()).toContain(`#/exam/${attemptId}`);
    await saved(again);
    expect(await checked(again, 3)).toEqual(a3);
    server = await apiView(t, who, attemptId);
    expect(server.answers[qids[2]!]).toEqual(a3);
    expect(await again.evaluate(`localStorage.getItem('dk.queue.${attemptId}')`)).toBeNull();
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

describe('the server’s clock', () => {
  it('warns at 5 minutes and at 1 minute left', async () => {
    for (const [cycleId, sec, text, cls] of [
      ['web-warn5', 302, '本部分还剩 5 分钟', 'warn'],
      ['web-warn1', 62, '本部分还剩 1 分钟', 'danger'],
    ] as const) {
      await cycle(t, cycleId, sec, 600);
      const who = await candidate(t, cycleId);
      const { context, page, errors } = await newPage(browser);
      await loginInPage(page, t.url, who);
      await startInPage(page);
      expect(await page.textContent('.notices')).not.toContain('本部分还剩');
      await expect.poll(() => page.textContent('.notices'), { timeout: 6000 }).toContain(text);
      expect(await page.getAttribute('.timer', 'class')).toContain(cls);
      expect(errors).toEqual([]);
      await context.close();
    }
  }, 60_000);

  it('moves on when a section times out, drops answers that came too late with a notice, and shows the result', async () => {
    const who = await candidate(t, 'web-short');
    const { context, page, errors } = await newPage(browser, PHONE);
    await loginInPage(page, t.url, who);
    const attemptId = await startInPage(page);
    expect(await page.textContent('#countdown')).toMatch(/^00:1[0-2]$/);
    await answerRight(page, 1, 'click');
    await saved(page);

    // Offline through the end of the section and past the grace: this answer can no longer count.
    await context.setOffline(true);
    await page.click('#next');
    await answerRight(page, 2, 'click');
    await page.waitForSelector('.overlay.busy:not([hidden])', { timeout: 20_000 });
    expect(await page.textContent('.overlay.busy')).toContain('时间已到');
    await page.waitForTimeout(2500);
    await context.setOffline(false);

    await expect.poll(() => sectionTitle(page), { timeout: 15_000 }).toContain('专业知识');
    await expect.poll(() => page.textContent('.notices'), { timeout: 10_000 }).toContain('时间已到，已自动交卷');
    await expect.poll(() => page.textContent('.notices'), { timeout: 10_000 }).toContain('答案未能保存');
    expect(await page.evaluate(`localStorage.getItem('dk.queue.${attemptId}')`)).toBeNull();

    await answerRight(page, 1, 'click');
    await saved(page);
    // Nobody submits: the specialty section runs out too and the result appears.
    await page.waitForSelector('#verdict', { timeout: 30_000 });
    expect(await page.textContent('#verdict')).toContain('考核不合格');
    const rows = await page.$$eval('#result-table tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? '').trim())),
    );
    expect(rows).toEqual([
      ['法律法规', '1', '4', '3', '不合格'],
      ['专业知识', '1', '8', '5', '不合格'],
    ]);
    await expect
      .poll(async () => {
        const r = await t.admin('GET', `/v1/admin/attempts/${attemptId}`);
        return r.body?.timeline?.map((s: { endedBy: string }) => s.endedBy);
      })
      .toEqual(['time', 'time']);
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);
});
