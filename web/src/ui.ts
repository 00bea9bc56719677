// The page frame (title bar, display settings), notices, and a modal confirmation dialog.
import { h, clear, append } from './dom';
import { prefs, type Prefs } from './store';

export function applyPrefs(p: Prefs = prefs.get()) {
  const root = document.documentElement;
  root.classList.toggle('large', p.large);
  root.classList.toggle('contrast', p.contrast);
  document.querySelectorAll<HTMLButtonElement>('[data-pref]').forEach((b) => {
    b.setAttribute('aria-pressed', String(Boolean(p[b.dataset.pref as keyof Prefs])));
  });
}

function prefButton(name: keyof Prefs, label: string, hint: string) {
  const b = h(
    'button',
    { type: 'button', class: 'pref', 'data-pref': name, title: hint, 'aria-pressed': String(prefs.get()[name]) },
    label,
  );
  b.addEventListener('click', () => {
    const p = prefs.get();
    p[name] = !p[name];
    prefs.set(p);
    applyPrefs(p);
  });
  return b;
}

export function prefButtons() {
  return h(
    'div',
    { class: 'prefs', role: 'group', 'aria-label': '显示设置' },
    prefButton('large', '大字', '放大文字'),
    prefButton('contrast', '高对比', '高对比度显示'),
  );
}

/** The standard frame: a title bar and a main area. Returns the main area. */
export function frame(opts: { right?: Node[]; wide?: boolean } = {}): HTMLElement {
  const app = document.getElementById('app')!;
  clear(app);
  app.className = '';
  document.title = '医师定期考核 · 网上考试';
  const main = h('main', { id: 'main', class: opts.wide ? 'page wide' : 'page', tabindex: '-1' });
  append(app, [
    h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'brand' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        h('span', { class: 'brand-text' }, h('strong', null, '医师定期考核'), h('span', null, '网上考试系统')),
      ),
      h('div', { class: 'topbar-right' }, prefButtons(), ...(opts.right ?? [])),
    ),
    main,
    notices(),
  ]);
  applyPrefs();
  return main;
}

let noticeBox: HTMLElement | null = null;
/** The (initially empty) area notices appear in; every page has one. */
export function notices() {
  noticeBox = h('div', { class: 'notices', role: 'status', 'aria-live': 'polite' });
  return noticeBox;
}

/** A notice at the bottom of the screen. `alert` ones are announced at once and stay longer. */
export function notify(text: string, kind: 'info' | 'warn' | 'alert' = 'info', ms = kind === 'info' ? 5000 : 9000) {
  if (!noticeBox || !noticeBox.isConnected) {
    const app = document.getElementById('app')!;
    app.appendChild(notices());
  }
  const close = h('button', { type: 'button', class: 'notice-close', 'aria-label': '关闭提示' }, '×');
  const n = h(
    'div',
    { class: `notice ${kind}`, role: kind === 'alert' ? 'alert' : null },
    h('span', null, text),
    close,
  );
  const remove = () => n.remove();
  close.addEventListener('click', remove);
  noticeBox!.appendChild(n);
  while (noticeBox!.children.length > 3) noticeBox!.firstElementChild!.remove();
  if (ms > 0) setTimeout(remove, ms);
  return n;
}

export interface ConfirmOptions {
  title: string;
  body: (Node | string)[];
  ok: string;
  cancel?: string;
  danger?: boolean;
}

let openDialog: HTMLElement | null = null;
export const dialogOpen = () => Boolean(openDialog && openDialog.isConnected);

/** A modal question; resolves true for OK. Escape and the cancel button resolve false. */
export function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const before = document.activeElement as HTMLElement | null;
    const titleId = `dlg-${Date.now()}`;
    const cancel = o.cancel ? h('button', { type: 'button', class: 'btn secondary' }, o.cancel) : null;
    const ok = h('button', { type: 'button', class: o.danger ? 'btn primary danger' : 'btn primary' }, o.ok);
    const box = h(
      'div',
      { class: 'dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, o.title),
      h('div', { class: 'dialog-body' }, ...o.body.map((b) => (typeof b === 'string' ? h('p', null, b) : b))),
      h('div', { class: 'dialog-actions' }, cancel, ok),
    );
    const overlay = h('div', { class: 'overlay' }, box);
    const done = (v: boolean) => {
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
      openDialog = null;
      before?.focus?.();
      resolve(v);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && cancel) {
        e.preventDefault();
        done(false);
      } else if (e.key === 'Tab') {
        const f = [cancel, ok].filter(Boolean) as HTMLElement[];
        const i = f.indexOf(document.activeElement as HTMLElement);
        e.preventDefault();
        f[(i + (e.shiftKey ? f.length - 1 : 1)) % f.length]!.focus();
      }
      e.stopPropagation();
    };
    ok.addEventListener('click', () => done(true));
    cancel?.addEventListener('click', () => done(false));
    document.addEventListener('keydown', onKey, true);
    document.getElementById('app')!.appendChild(overlay);
    openDialog = overlay;
    (cancel ?? ok).focus();
  });
}

export function closeDialogs() {
  openDialog?.remove();
  openDialog = null;
}

/** A full-page message with an action (errors, "loading"). */
export function message(main: HTMLElement, title: string, lines: string[], actions: Node[] = []) {
  clear(main);
  append(main, [
    h(
      'section',
      { class: 'card narrow center' },
      h('h1', null, title),
      ...lines.map((l) => h('p', null, l)),
      actions.length ? h('div', { class: 'actions' }, ...actions) : null,
    ),
  ]);
}

export function link(href: string, text: string, cls = 'btn secondary') {
  return h('a', { href, class: cls }, text);
}

export function problemText(e: unknown): string {
  const err = e as { name?: string; code?: string; detail?: string };
  if (err && err.name === 'NetworkError') return '无法连接考试服务器，请检查网络后重试。';
  if (err && err.name === 'ApiError') {
    const t = ERRORS[err.code ?? ''];
    return t ?? (err.detail || '操作未成功，请稍后重试。');
  }
  return '出现意外错误，请刷新页面后重试。';
}

const ERRORS: Record<string, string> = {
  attempt_cap_reached: '您的考试次数已用完。',
  already_passed: '您已通过本次考核，无需再考。',
  window_closed: '当前不在考试开放时间内。',
  specialty_not_online: '您的专业不进行网上考核，请联系所在考核机构。',
  not_registered_for_exam: '您未报名该项考试。',
  bank_missing: '考试题库尚未准备好，请联系考核机构。',
  bank_too_small: '考试题库尚未准备好，请联系考核机构。',
  attempt_in_progress: '您有一场考试正在进行。',
  unauthenticated: '登录已过期，请重新登录。',
  rate_limited: '操作过于频繁，请稍后再试。',
  not_found: '未找到这场考试。',
  unavailable: '服务暂时不可用，请稍后重试。',
  internal_error: '服务器暂时出现问题，请稍后重试。',
};
