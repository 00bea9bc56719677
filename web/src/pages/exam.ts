// 考试: one section at a time, the server's clock, answers saved as they are chosen.
import { call, isApiError, isNetworkError } from '../api';
import { remainingUntil } from '../clock';
import { dict } from '../dict';
import { clear, h, setText, toggleClass } from '../dom';
import { clock, minutes, spoken, TYPE_LABEL } from '../format';
import { go } from '../router';
import { saverFor, type DroppedAnswer, type SaveStatus, type Saver } from '../saver';
import { flagStore, forgetAttempt, lastResult, positionStore } from '../store';
import type { AttemptView, Question } from '../types';
import { applyPrefs, confirmDialog, dialogOpen, link, message, notices, notify, prefButtons, problemText } from '../ui';

let primed: AttemptView | null = null;
/** The view POST /v1/attempts returned, so the exam screen needs no second request. */
export function primeView(v: AttemptView) {
  primed = v;
}

const WARN_AT = [5 * 60_000, 60_000];
const TICK_MS = 250;
const RESYNC_MS = 120_000;
const CN_NUM = '一二三四五六七八九十';

interface Unit {
  start: number;
  end: number; // exclusive
  group?: Question['group'];
}

type Section = NonNullable<AttemptView['section']>;

export async function examPage(attemptId?: string) {
  const app = document.getElementById('app')!;
  const loading = () => {
    clear(app);
    const main = h('main', { id: 'main', class: 'page' });
    app.appendChild(main);
    return main;
  };

  if (!attemptId) {
    const main = loading();
    message(main, '正在查找进行中的考试…', []);
    try {
      const me = await call<{ activeAttemptId: string | null }>('GET', '/v1/me');
      go(me.activeAttemptId ? `#/exam/${encodeURIComponent(me.activeAttemptId)}` : '#/');
    } catch (e) {
      message(
        main,
        '无法连接考试服务器',
        [problemText(e), '已作答的答案保存在本机，不会丢失。'],
        [h('button', { type: 'button', class: 'btn primary', onclick: () => go('#/exam') }, '重试')],
      );
    }
    return;
  }

  let view: AttemptView;
  if (primed && primed.id === attemptId) {
    view = primed;
    primed = null;
  } else {
    const main = loading();
    message(main, '正在载入考试…', []);
    try {
      view = await call<AttemptView>('GET', `/v1/attempts/${encodeURIComponent(attemptId)}`);
    } catch (e) {
      const saver = saverFor(attemptId);
      const kept = saver.pendingCount();
      void saver.flush();
      message(
        main,
        isNetworkError(e) ? '网络未连接' : '无法载入考试',
        [
          problemText(e),
          kept ? `您有 ${kept} 题的答案保存在本机，网络恢复后会自动提交。` : '已作答的答案已保存。',
          '考试计时以服务器为准，请尽快恢复网络后继续。',
        ],
        [
          h(
            'button',
            { type: 'button', class: 'btn primary', onclick: () => go(`#/exam/${encodeURIComponent(attemptId)}`) },
            '重新连接',
          ),
          link('#/', '返回首页'),
        ],
      );
      if (isNetworkError(e)) {
        const retry = () => go(`#/exam/${encodeURIComponent(attemptId)}`);
        window.addEventListener('online', retry, { once: true });
        return () => window.removeEventListener('online', retry);
      }
      return;
    }
  }
  if (view.status === 'finished' || !view.section) {
    return finish(view.id, saverFor(view.id));
  }
  return new ExamScreen(app, view).dispose;
}

/** Sends what is left and shows the result. */
async function finish(attemptId: string, saver: Saver) {
  await Promise.race([saver.flush(), wait(4000)]);
  lastResult.set(attemptId);
  forgetAttempt(attemptId);
  go(`#/result/${encodeURIComponent(attemptId)}`);
}

function wait(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms));
}

class ExamScreen {
  private view: AttemptView;
  private section: Section;
  private saver: Saver;
  private answers = dict<string[]>();
  private flags: Set<string>;
  private units: Unit[] = [];
  private unitOf: number[] = [];
  private current = 0;
  private renderedUnit = -1;
  private lastRemaining = Infinity;
  private expiring = false;
  private busy = false;
  private disposed = false;
  private storageWarned = false;
  private fetchSeq = 0;
  private online = navigator.onLine;
  private saveStatus: SaveStatus = 'saved';
  private known = new Map<string, { no: number; section: string }>();
  private timers: ReturnType<typeof setInterval>[] = [];
  private unlisten: (() => void)[] = [];

  // elements
  private els!: {
    title: HTMLElement;
    sub: HTMLElement;
    timer: HTMLElement;
    timerText: HTMLElement;
    status: HTMLElement;
    area: HTMLElement;
    grid: HTMLElement;
    counts: HTMLElement;
    navToggle: HTMLButtonElement;
    prev: HTMLButtonElement;
    next: HTMLButtonElement;
    overlay: HTMLElement;
    shell: HTMLElement;
  };

  constructor(
    private app: HTMLElement,
    view: AttemptView,
  ) {
    this.view = { ...view, answers: dict(view.answers) };
    this.section = view.section!;
    this.saver = saverFor(view.id);
    this.flags = new Set(flagStore.get(view.id));
    this.build();
    this.enterSection(true);

    this.unlisten.push(
      this.saver.listen({
        status: (s) => {
          this.saveStatus = s;
          this.showStatus();
        },
        dropped: (items) => this.onDropped(items),
        sectionClosed: () => void this.refresh(),
        storageFailed: () => {
          if (this.storageWarned) return;
          this.storageWarned = true;
          notify(
            '此浏览器无法在本机保存答案（可能处于无痕模式或存储已满）。答案仍会立即提交，请保持网络畅通。',
            'alert',
            15000,
          );
        },
      }),
    );
    const onKey = (e: KeyboardEvent) => this.onKey(e);
    const onOnline = () => {
      this.online = true;
      this.showStatus();
      void this.refresh();
    };
    const onOffline = () => {
      this.online = false;
      this.showStatus();
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') void this.refresh();
    };
    document.addEventListener('keydown', onKey);
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    document.addEventListener('visibilitychange', onVisible);
    this.unlisten.push(
      () => document.removeEventListener('keydown', onKey),
      () => window.removeEventListener('online', onOnline),
      () => window.removeEventListener('offline', onOffline),
      () => document.removeEventListener('visibilitychange', onVisible),
    );
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(
      setInterval(() => {
        if (document.visibilityState === 'visible') void this.refresh();
      }, RESYNC_MS),
    );
    this.tick();
    void this.saver.flush();
  }

  dispose = () => {
    this.disposed = true;
    this.timers.forEach((t) => clearInterval(t));
    this.unlisten.forEach((u) => u());
    document.documentElement.classList.remove('nav-open', 'exam-mode');
  };

  // ------------------------------------------------------------------ layout

  private build() {
    clear(this.app);
    this.app.className = '';
    document.documentElement.classList.add('exam-mode');
    const title = h('h1', { class: 'exam-title', id: 'section-title' });
    const sub = h('div', { class: 'exam-sub' });
    const timerText = h('span', { class: 'timer-text', id: 'countdown' }, '--:--');
    const timer = h(
      'div',
      { class: 'timer', role: 'timer', 'aria-live': 'off', 'aria-label': '本部分剩余时间' },
      h('span', { class: 'timer-label' }, '剩余'),
      timerText,
    );
    const status = h('div', { class: 'save-status', id: 'save-status', role: 'status', 'aria-live': 'polite' });
    const submitTop = h('button', { type: 'button', class: 'btn submit-btn', id: 'submit-top' }, '交卷');
    submitTop.addEventListener('click', () => void this.submit());
    const bar = h(
      'header',
      { class: 'exambar' },
      h('div', { class: 'exambar-main' }, h('div', { class: 'exam-heading' }, title, sub), timer),
      h('div', { class: 'exambar-tools' }, status, h('div', { class: 'exambar-right' }, prefButtons(), submitTop)),
    );

    const area = h('section', { class: 'question-area', id: 'question-area', 'aria-live': 'off' });
    const grid = h('div', { class: 'nav-grid', id: 'nav-grid', role: 'list' });
    const counts = h('p', { class: 'nav-counts', id: 'nav-counts' });
    const closeNav = h('button', { type: 'button', class: 'btn secondary nav-close' }, '关闭');
    closeNav.addEventListener('click', () => this.toggleNav(false));
    const submitNav = h('button', { type: 'button', class: 'btn primary block', id: 'submit-nav' }, '交卷');
    submitNav.addEventListener('click', () => {
      this.toggleNav(false);
      void this.submit();
    });
    const aside = h(
      'aside',
      { class: 'navigator', id: 'navigator', 'aria-label': '题目导航' },
      h('div', { class: 'nav-head' }, h('h2', null, '答题卡'), closeNav),
      counts,
      grid,
      h(
        'ul',
        { class: 'legend', 'aria-hidden': 'true' },
        h('li', null, h('span', { class: 'cell-demo answered' }), '已答'),
        h('li', null, h('span', { class: 'cell-demo' }), '未答'),
        h('li', null, h('span', { class: 'cell-demo flagged' }), '标记'),
        h('li', null, h('span', { class: 'cell-demo current' }), '当前'),
      ),
      submitNav,
      h('p', { class: 'nav-keys muted small' }, '键盘：A–E 选择答案（判断题 T / F），← → 切换题目'),
    );
    const prev = h('button', { type: 'button', class: 'btn secondary', id: 'prev' }, '‹ 上一题');
    const next = h('button', { type: 'button', class: 'btn primary', id: 'next' }, '下一题 ›');
    const navToggle = h('button', {
      type: 'button',
      class: 'btn secondary nav-toggle',
      id: 'nav-toggle',
      'aria-controls': 'navigator',
      'aria-expanded': 'false',
    });
    prev.addEventListener('click', () => this.move(-1, true));
    next.addEventListener('click', () =>
      this.current >= this.section.questions.length - 1 ? void this.submit() : this.move(1, true),
    );
    navToggle.addEventListener('click', () => this.toggleNav());
    const footer = h('footer', { class: 'exam-footer' }, prev, navToggle, next);
    const overlay = h('div', {
      class: 'overlay busy',
      hidden: true,
      role: 'alertdialog',
      'aria-modal': 'true',
      'aria-live': 'assertive',
    });
    const scrim = h('div', { class: 'nav-scrim', 'aria-hidden': 'true' });
    scrim.addEventListener('click', () => this.toggleNav(false));

    // Notices sit above the question, in the flow of the page: they never cover an option.
    const shell = h(
      'div',
      { class: 'exam-shell' },
      h('main', { id: 'main', class: 'exam-main', tabindex: '-1' }, notices(), area),
      scrim,
      aside,
    );
    this.app.append(bar, shell, footer, overlay);
    this.els = { title, sub, timer, timerText, status, area, grid, counts, navToggle, prev, next, overlay, shell };
    applyPrefs();
  }

  private toggleNav(open?: boolean) {
    const root = document.documentElement;
    const on = open ?? !root.classList.contains('nav-open');
    root.classList.toggle('nav-open', on);
    this.els.navToggle.setAttribute('aria-expanded', String(on));
    if (on) this.els.grid.querySelector<HTMLElement>('.cell.current')?.focus();
  }

  // ------------------------------------------------------------------ section

  /** Sets up the screen for this.section (first load, or the next section). */
  private enterSection(first: boolean) {
    const s = this.section;
    const index = this.view.sections.findIndex((x) => x.id === s.id);
    const no = `第${CN_NUM[index] ?? index + 1}部分`;
    setText(this.els.title, `${no} · ${s.title}`);
    setText(this.els.sub, `本部分 ${s.questions.length} 题 · 第 ${this.view.number} 次考试`);
    document.title = `${s.title} · 医师定期考核`;
    s.questions.forEach((q, i) => this.known.set(q.id, { no: i + 1, section: s.title }));
    this.answers = this.mergedAnswers();
    // units: consecutive questions sharing a group
    this.units = [];
    this.unitOf = [];
    s.questions.forEach((q, i) => {
      const last = this.units[this.units.length - 1];
      if (last && q.group && last.group && last.group.id === q.group.id) last.end = i + 1;
      else this.units.push({ start: i, end: i + 1, group: q.group });
      this.unitOf[i] = this.units.length - 1;
    });
    const pos = positionStore.get(this.view.id);
    const at = pos && pos.sec === s.id ? s.questions.findIndex((q) => q.id === pos.q) : -1;
    this.current = at >= 0 ? at : 0;
    this.renderedUnit = -1;
    this.lastRemaining = remainingUntil(s.endsAt);
    this.expiring = false;
    this.buildGrid();
    this.showQuestion(!first);
    this.tick();
  }

  /** The server's answers, with what is still waiting to be sent laid over them. */
  private mergedAnswers(): Record<string, string[]> {
    const ids = new Set(this.section.questions.map((q) => q.id));
    const out = dict<string[]>();
    for (const [q, keys] of Object.entries(this.view.answers)) if (ids.has(q)) out[q] = keys.slice();
    for (const [q, keys] of Object.entries(this.saver.pending())) {
      if (!ids.has(q) || this.saver.pendingSection(q) !== this.section.id) continue;
      if (keys.length) out[q] = keys;
      else delete out[q];
    }
    return out;
  }

  private applyView(next: AttemptView) {
    if (this.disposed) return;
    const before = this.section;
    this.view = { ...next, answers: dict(next.answers) };
    if (next.status === 'finished' || !next.section) {
      this.showOverlay('本次考试已结束', '正在计算成绩…');
      this.dispose();
      void finish(next.id, this.saver);
      return;
    }
    if (next.section.id !== before.id) {
      const old = next.sections.find((x) => x.id === before.id);
      const how = old?.status === 'timed_out' ? '时间已到，已自动交卷' : '已交卷';
      this.section = next.section;
      this.hideOverlay();
      this.enterSection(false);
      notify(
        `「${before.title}」${how}。现在开始「${next.section.title}」，限时 ${minutes(Math.round((Date.parse(next.section.endsAt) - Date.parse(next.section.startedAt)) / 1000))}，计时已开始。`,
        'alert',
        12000,
      );
      document.getElementById('main')?.focus();
      window.scrollTo(0, 0);
      return;
    }
    this.section = next.section;
    this.answers = this.mergedAnswers();
    this.hideOverlay();
    this.updateState();
  }

  /** GET the try and move on as the server says. */
  private async refresh(): Promise<boolean> {
    if (this.disposed) return false;
    const seq = ++this.fetchSeq;
    try {
      const v = await call<AttemptView>('GET', `/v1/attempts/${encodeURIComponent(this.view.id)}`);
      if (seq === this.fetchSeq && !this.busy) this.applyView(v);
      return true;
    } catch (e) {
      if (isApiError(e, 'not_found')) {
        this.dispose();
        go('#/');
      }
      return false;
    }
  }

  // ------------------------------------------------------------------ clock

  private tick() {
    if (this.disposed) return;
    const left = remainingUntil(this.section.endsAt);
    setText(this.els.timerText, clock(left));
    toggleClass(this.els.timer, 'warn', left <= WARN_AT[0]! && left > WARN_AT[1]!);
    toggleClass(this.els.timer, 'danger', left <= WARN_AT[1]!);
    for (const at of WARN_AT)
      if (this.lastRemaining > at && left <= at && left > 0)
        notify(`本部分还剩 ${spoken(at)}，请抓紧时间并检查未答题目。到时系统将自动交卷。`, 'alert', 10000);
    this.lastRemaining = left;
    if (left <= 0 && !this.expiring) void this.timeUp();
  }

  private async timeUp() {
    this.expiring = true;
    const last = this.view.sections[this.view.sections.length - 1]?.id === this.section.id;
    this.showOverlay('本部分时间已到', last ? '系统正在自动交卷并计算成绩…' : '系统正在自动交卷，稍后进入下一部分…');
    const sectionId = this.section.id;
    // Answers given in time are accepted for a short grace: send them first.
    await Promise.race([this.saver.flush(), wait(5000)]);
    for (let round = 0; !this.disposed && this.section.id === sectionId; round++) {
      const ok = await this.refresh();
      if (this.disposed || this.section.id !== sectionId) return;
      const left = remainingUntil(this.section.endsAt);
      if (ok && left > 0) {
        // The server's clock has not got there yet: keep counting.
        this.hideOverlay();
        this.expiring = false;
        return;
      }
      if (!ok) this.showOverlay('本部分时间已到', '网络未连接，正在重试… 已作答的答案保存在本机。');
      await wait(Math.min(1000 + round * 500, 5000));
    }
  }

  private showOverlay(title: string, text: string) {
    const o = this.els.overlay;
    clear(o);
    o.appendChild(
      h(
        'div',
        { class: 'dialog' },
        h('h2', null, title),
        h('p', null, text),
        h('div', { class: 'spinner', 'aria-hidden': 'true' }),
      ),
    );
    o.hidden = false;
  }

  private hideOverlay() {
    this.els.overlay.hidden = true;
  }

  // ------------------------------------------------------------------ status

  private showStatus() {
    const s = this.saveStatus;
    const pending = this.saver.pendingCount();
    let text: string;
    let cls: string;
    if (!this.online || s === 'offline') {
      text = '离线（答案已保存在本机）';
      cls = 'offline';
    } else if (s === 'saving') {
      text = '保存中…';
      cls = 'saving';
    } else if (s === 'retrying' && pending) {
      text = '正在重试（答案已保存在本机）';
      cls = 'offline';
    } else {
      text = '已保存';
      cls = 'saved';
    }
    const el = this.els.status;
    el.className = `save-status ${cls}`;
    el.title = pending ? `${pending} 题答案等待提交` : '所有答案已送达服务器';
    el.setAttribute('data-pending', String(pending));
    setText(el, text);
  }

  private onDropped(items: DroppedAnswer[]) {
    const closed = items.filter((d) => d.reason === 'section_closed');
    const refused = items.filter((d) => d.reason === 'refused');
    const describe = (list: DroppedAnswer[]) => {
      const nums = list.map((d) => this.known.get(d.questionId)).filter(Boolean) as { no: number; section: string }[];
      if (nums.length === list.length && nums.length) {
        const sec = nums[0]!.section;
        return `「${sec}」第 ${nums
          .map((n) => n.no)
          .sort((a, b) => a - b)
          .join('、')} 题`;
      }
      return `${list.length} 题`;
    };
    if (closed.length)
      notify(`${describe(closed)}的答案未能保存：该部分已经结束（已交卷或时间已到）。`, 'alert', 15000);
    if (refused.length) notify(`${describe(refused)}的答案未被服务器接受，请重新作答。`, 'alert', 15000);
    for (const d of refused) if (this.view.answers[d.questionId]) delete this.view.answers[d.questionId];
    this.answers = this.mergedAnswers();
    this.updateState();
  }

  // ------------------------------------------------------------------ questions

  private buildGrid() {
    const grid = this.els.grid;
    clear(grid);
    this.section.questions.forEach((_q, i) => {
      const cell = h(
        'button',
        { type: 'button', class: 'cell', 'data-index': String(i), role: 'listitem' },
        String(i + 1),
      );
      cell.addEventListener('click', () => {
        this.goTo(i, true);
        this.toggleNav(false);
      });
      grid.appendChild(cell);
    });
  }

  private goTo(i: number, focus: boolean) {
    const n = this.section.questions.length;
    this.current = Math.max(0, Math.min(n - 1, i));
    this.showQuestion(focus);
  }

  private move(delta: number, focus: boolean) {
    this.goTo(this.current + delta, focus);
  }

  private showQuestion(focus: boolean) {
    const u = this.unitOf[this.current]!;
    if (u !== this.renderedUnit) {
      this.renderUnit(this.units[u]!);
      this.renderedUnit = u;
      window.scrollTo(0, 0);
    }
    const q = this.section.questions[this.current]!;
    positionStore.set(this.view.id, { sec: this.section.id, q: q.id });
    this.updateState();
    const block = this.els.area.querySelector<HTMLElement>(`.question[data-index="${this.current}"]`);
    if (block && this.units[u]!.end - this.units[u]!.start > 1) block.scrollIntoView({ block: 'nearest' });
    if (focus) block?.querySelector<HTMLElement>('.q-no')?.focus();
  }

  private renderUnit(unit: Unit) {
    const area = this.els.area;
    clear(area);
    const qs = this.section.questions;
    const first = unit.start + 1;
    const last = unit.end;
    const range = first === last ? `第 ${first} 题` : `第 ${first}–${last} 题`;
    if (unit.group?.type === 'case') {
      area.appendChild(
        h(
          'div',
          { class: 'group-stem case' },
          h('div', { class: 'group-label' }, `${TYPE_LABEL.case}（A3/A4 型）· ${range}共用以下病例`),
          h('p', { class: 'stem-text' }, unit.group.stem),
        ),
      );
    } else if (unit.group?.type === 'matching') {
      const opts = qs[unit.start]!.options;
      area.appendChild(
        h(
          'div',
          { class: 'group-stem matching' },
          h(
            'div',
            { class: 'group-label' },
            `${TYPE_LABEL.matching}（B1 型）· ${range}共用以下备选答案，每个备选答案可选一次、多次或不选`,
          ),
          unit.group.stem ? h('p', { class: 'stem-text' }, unit.group.stem) : null,
          h(
            'ul',
            { class: 'shared-options' },
            ...opts.map((o) => h('li', null, h('span', { class: 'key' }, o.key), h('span', { class: 'text' }, o.text))),
          ),
        ),
      );
    }
    for (let i = unit.start; i < unit.end; i++) area.appendChild(this.renderQuestion(qs[i]!, i, unit));
  }

  private renderQuestion(q: Question, i: number, unit: Unit): HTMLElement {
    const stemId = `stem-${i}`;
    const multiple = q.type === 'multiple';
    const matching = unit.group?.type === 'matching';
    const label = unit.group ? TYPE_LABEL[unit.group.type]! : TYPE_LABEL[q.type]!;
    const flag = h('button', { type: 'button', class: 'flag-btn', 'data-flag': q.id, 'aria-pressed': 'false' });
    flag.addEventListener('click', () => this.toggleFlag(q.id));
    const options = h('div', {
      class: `options ${q.type}${matching ? ' letters' : ''}`,
      role: multiple ? 'group' : 'radiogroup',
      'aria-labelledby': stemId,
    });
    for (const o of q.options) {
      const text = q.type === 'truefalse' ? (o.key === 'T' ? '正确' : o.key === 'F' ? '错误' : o.text) : o.text;
      const b = h(
        'button',
        {
          type: 'button',
          class: 'opt',
          role: multiple ? 'checkbox' : 'radio',
          'aria-checked': 'false',
          'data-key': o.key,
          'aria-label': matching ? `${o.key}. ${o.text}` : null,
        },
        h(
          'span',
          { class: 'key', 'aria-hidden': q.type === 'truefalse' ? 'true' : null },
          q.type === 'truefalse' ? (o.key === 'T' ? '✓' : '✗') : o.key,
        ),
        matching ? null : h('span', { class: 'text' }, text),
      );
      b.addEventListener('click', () => {
        this.current = i;
        this.choose(q, o.key);
      });
      options.appendChild(b);
    }
    const block = h(
      'article',
      { class: 'question', 'data-index': String(i), 'data-qid': q.id },
      h(
        'div',
        { class: 'q-head' },
        h(
          'h2',
          { class: 'q-no', tabindex: '-1' },
          `第 ${i + 1} 题`,
          h('span', { class: 'q-type' }, multiple ? (unit.group ? `${label}（多选）` : label) : label),
        ),
        flag,
      ),
      h('p', { class: 'stem-text', id: stemId }, q.stem),
      multiple ? h('p', { class: 'hint' }, '请选出所有正确答案（可多选），多选、少选均不得分。') : null,
      q.type === 'truefalse' ? h('p', { class: 'hint' }, '请判断正误（键盘 T = 正确，F = 错误）。') : null,
      options,
    );
    block.addEventListener('focusin', () => {
      if (this.current !== i) {
        this.current = i;
        this.updateState();
      }
    });
    return block;
  }

  private choose(q: Question, key: string) {
    if (this.expiring || this.busy) return;
    const had = this.answers[q.id] ?? [];
    let keys: string[];
    if (q.type === 'multiple') keys = had.includes(key) ? had.filter((k) => k !== key) : [...had, key].sort();
    else keys = [key];
    if (keys.length === had.length && keys.every((k, j) => k === had[j])) return;
    if (keys.length) this.answers[q.id] = keys;
    else delete this.answers[q.id];
    this.saver.set(q.id, keys, this.section.id);
    positionStore.set(this.view.id, { sec: this.section.id, q: q.id });
    this.updateState();
  }

  private toggleFlag(qid: string) {
    if (this.flags.has(qid)) this.flags.delete(qid);
    else this.flags.add(qid);
    flagStore.set(this.view.id, [...this.flags]);
    this.updateState();
  }

  /** Brings every answer mark, flag and counter on screen in line with the state. */
  private updateState() {
    const qs = this.section.questions;
    let answered = 0;
    let flagged = 0;
    qs.forEach((q, i) => {
      const a = this.answers[q.id];
      const has = Boolean(a && a.length);
      const fl = this.flags.has(q.id);
      if (has) answered++;
      if (fl) flagged++;
      const cell = this.els.grid.children[i] as HTMLElement | undefined;
      if (cell) {
        toggleClass(cell, 'answered', has);
        toggleClass(cell, 'flagged', fl);
        toggleClass(cell, 'current', i === this.current);
        cell.setAttribute(
          'aria-label',
          `第 ${i + 1} 题，${has ? '已答' : '未答'}${fl ? '，已标记' : ''}${i === this.current ? '，当前题' : ''}`,
        );
        if (i === this.current) cell.setAttribute('aria-current', 'true');
        else cell.removeAttribute('aria-current');
      }
    });
    this.els.area.querySelectorAll<HTMLElement>('.question').forEach((block) => {
      const i = Number(block.dataset.index);
      const q = qs[i];
      if (!q) return;
      const chosen = this.answers[q.id] ?? [];
      toggleClass(block, 'current', i === this.current);
      toggleClass(block, 'answered', chosen.length > 0);
      block.querySelectorAll<HTMLElement>('.opt').forEach((b) => {
        const on = chosen.includes(b.dataset.key!);
        b.setAttribute('aria-checked', String(on));
        toggleClass(b, 'selected', on);
      });
      const f = block.querySelector<HTMLElement>('.flag-btn');
      if (f) {
        const on = this.flags.has(q.id);
        f.setAttribute('aria-pressed', String(on));
        setText(f, on ? '★ 已标记' : '☆ 标记');
      }
    });
    setText(this.els.counts, `已答 ${answered} 题 · 未答 ${qs.length - answered} 题 · 标记 ${flagged} 题`);
    setText(this.els.navToggle, `答题卡 ${answered}/${qs.length}`);
    this.els.prev.disabled = this.current === 0;
    const lastQ = this.current >= qs.length - 1;
    setText(this.els.next, lastQ ? '交卷' : '下一题 ›');
    toggleClass(this.els.next, 'submit-now', lastQ);
    this.showStatus();
  }

  // ------------------------------------------------------------------ keyboard

  private onKey(e: KeyboardEvent) {
    if (this.disposed || dialogOpen() || this.expiring || this.busy) return;
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable))
      return;
    if (e.key === 'ArrowLeft') {
      e.preventDefault();
      this.move(-1, true);
      return;
    }
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      this.move(1, true);
      return;
    }
    if (e.key === 'Escape' && document.documentElement.classList.contains('nav-open')) {
      this.toggleNav(false);
      return;
    }
    if (e.key.length !== 1) return;
    const k = e.key.toUpperCase();
    const q = this.section.questions[this.current];
    if (!q) return;
    if (q.options.some((o) => o.key === k)) {
      e.preventDefault();
      this.choose(q, k);
    }
  }

  // ------------------------------------------------------------------ submit

  private async submit() {
    if (this.busy || this.expiring) return;
    const qs = this.section.questions;
    const unanswered = qs.map((q, i) => (this.answers[q.id]?.length ? -1 : i + 1)).filter((n) => n > 0);
    const flagged = qs.filter((q) => this.flags.has(q.id)).length;
    const idx = this.view.sections.findIndex((s) => s.id === this.section.id);
    const nextSec = this.view.sections[idx + 1];
    const list = unanswered.length > 12 ? `${unanswered.slice(0, 12).join('、')} 等` : unanswered.join('、');
    const ok = await confirmDialog({
      title: `确认交卷「${this.section.title}」？`,
      body: [
        h(
          'p',
          { class: 'big-count' },
          `本部分共 ${qs.length} 题，已答 ${qs.length - unanswered.length} 题，`,
          h(
            'strong',
            { class: unanswered.length ? 'bad' : '', id: 'unanswered-count' },
            `未答 ${unanswered.length} 题`,
          ),
          '。',
        ),
        unanswered.length ? h('p', null, `未答题号：第 ${list} 题。`) : '',
        flagged ? h('p', null, `您标记了 ${flagged} 题待检查。`) : '',
        '交卷后本部分答案不能再修改。',
        nextSec
          ? `交卷后将立即开始「${nextSec.title}」${nextSec.durationSec ? `，限时 ${minutes(nextSec.durationSec)}` : ''}。`
          : '这是最后一部分，交卷后考试结束并显示成绩。',
      ].filter((x) => x !== ''),
      ok: '确认交卷',
      cancel: '继续作答',
    });
    if (!ok || this.disposed || this.expiring) return;
    this.busy = true;
    this.showOverlay('正在交卷', '正在提交答案，请稍候…');
    try {
      const sent = await Promise.race([this.saver.flush(), wait(15_000).then(() => false)]);
      const mine = Object.keys(this.saver.pending()).filter((q) => this.saver.pendingSection(q) === this.section.id);
      if (!sent && mine.length) {
        this.hideOverlay();
        notify(`还有 ${mine.length} 题的答案未送达服务器（已保存在本机）。请检查网络，恢复后再交卷。`, 'alert', 12000);
        return;
      }
      const next = await call<AttemptView>(
        'POST',
        `/v1/attempts/${encodeURIComponent(this.view.id)}/sections/${encodeURIComponent(this.section.id)}/submit`,
      );
      this.busy = false;
      this.fetchSeq++;
      this.applyView(next);
    } catch (e) {
      this.hideOverlay();
      notify(
        isNetworkError(e) ? '网络未连接，交卷未成功。答案已保存在本机，请恢复网络后再交卷。' : problemText(e),
        'alert',
        12000,
      );
      if (!isNetworkError(e)) void this.refresh();
    } finally {
      this.busy = false;
    }
  }
}
