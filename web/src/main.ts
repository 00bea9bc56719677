// The candidate's exam client: hash routes, one page at a time.
import { onUnauthenticated } from './api';
import { h } from './dom';
import { go, setAfterLogin, setRenderer } from './router';
import { session } from './store';
import { applyPrefs, closeDialogs, frame, message } from './ui';
import { loginPage } from './pages/login';
import { homePage } from './pages/home';
import { startPage } from './pages/start';
import { examPage } from './pages/exam';
import { resultPage } from './pages/result';

export type Dispose = (() => void) | void;
type Page = (params: string[]) => Dispose | Promise<Dispose>;

const routes: [RegExp, Page, boolean][] = [
  [/^\/login$/, () => loginPage(), false],
  [/^\/?$/, () => homePage(), true],
  [/^\/start(?:\/([^/]+))?$/, ([exam]) => startPage(exam), true],
  [/^\/exam(?:\/([^/]+))?$/, ([id]) => examPage(id), true],
  [/^\/result\/([^/]+)$/, ([id]) => resultPage(id!), true],
];

let dispose: Dispose = undefined;
let renderSeq = 0;

async function render() {
  const seq = ++renderSeq;
  try {
    if (typeof dispose === 'function') dispose();
  } catch (e) {
    console.error(e);
  }
  dispose = undefined;
  closeDialogs();
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  const route = routes.find(([re]) => re.test(path));
  if (!route) return go('#/');
  const [re, page, needsLogin] = route;
  if (needsLogin && !session.get()) {
    setAfterLogin(`#${path}`);
    return go('#/login');
  }
  const params = (re.exec(path) ?? []).slice(1);
  try {
    const d = await page(params);
    if (seq !== renderSeq) {
      if (typeof d === 'function') d();
      return;
    }
    dispose = d;
  } catch (e) {
    console.error(e);
    const main = frame();
    message(
      main,
      '页面出现错误',
      ['请刷新页面重试。您已作答的答案保存在本机，不会丢失。'],
      [h('button', { type: 'button', class: 'btn primary', onclick: () => location.reload() }, '刷新页面')],
    );
  }
}

onUnauthenticated(() => {
  const path = location.hash.replace(/^#/, '') || '/';
  setAfterLogin(
    path === '/login' ? '#/' : `#${path}`,
    '登录已过期，请重新登录。已作答的答案保存在本机，登录后会继续提交。',
  );
  go('#/login');
});

setRenderer(() => void render());
window.addEventListener('hashchange', () => void render());
applyPrefs();
void render();
