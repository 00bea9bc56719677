// 登录: 身份证号 + 密码. Wrong password and too many attempts get their own clear messages.
import { ApiError, call, isNetworkError } from '../api';
import { h } from '../dom';
import { go, takeAfterLogin, takeLoginNotice } from '../router';
import { session } from '../store';
import { frame } from '../ui';

const ID_RE = /^\d{17}[\dXx]$/;

export function loginPage() {
  if (session.get()) {
    go(takeAfterLogin());
    return;
  }
  const main = frame();
  main.classList.add('login');
  const notice = takeLoginNotice();
  const error = h('div', { class: 'form-error', role: 'alert', id: 'login-error', hidden: true });
  const idInput = h('input', {
    id: 'idNumber',
    name: 'idNumber',
    type: 'text',
    inputmode: 'text',
    autocomplete: 'username',
    autocapitalize: 'characters',
    spellcheck: 'false',
    maxlength: '18',
    required: true,
    'aria-describedby': 'id-hint login-error',
    placeholder: '18 位身份证号码',
  });
  const pwInput = h('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'login-error',
    placeholder: '登录密码',
  });
  const show = h(
    'button',
    { type: 'button', class: 'link-btn', 'aria-controls': 'password', 'aria-pressed': 'false' },
    '显示密码',
  );
  show.addEventListener('click', () => {
    const visible = pwInput.type === 'text';
    pwInput.type = visible ? 'password' : 'text';
    show.setAttribute('aria-pressed', String(!visible));
    show.textContent = visible ? '显示密码' : '隐藏密码';
  });
  const submit = h('button', { type: 'submit', class: 'btn primary block' }, '登录');
  let lockTimer: ReturnType<typeof setInterval> | null = null;

  const showError = (text: string) => {
    error.textContent = text;
    error.hidden = false;
  };
  const lockFor = (sec: number) => {
    const until = Date.now() + sec * 1000;
    submit.disabled = true;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      if (left <= 0) {
        if (lockTimer) clearInterval(lockTimer);
        lockTimer = null;
        submit.disabled = false;
        submit.textContent = '登录';
        return;
      }
      const m = Math.floor(left / 60);
      const s = left % 60;
      const wait = m ? `${m} 分 ${s < 10 ? '0' : ''}${s} 秒` : `${s} 秒`;
      submit.textContent = `请 ${wait} 后再试`;
    };
    tick();
    lockTimer = setInterval(tick, 1000);
  };

  const form = h(
    'form',
    { class: 'card narrow', novalidate: true, method: 'post', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, '考生登录'),
    h('p', { class: 'muted' }, '请使用报名时登记的身份证号和考核机构发放的密码登录。'),
    notice ? h('div', { class: 'form-notice', role: 'status' }, notice) : null,
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'idNumber' }, '身份证号'),
      idInput,
      h('p', { class: 'hint', id: 'id-hint' }, '末位为 X 的请输入大写字母 X'),
    ),
    h(
      'div',
      { class: 'field' },
      h('div', { class: 'label-row' }, h('label', { for: 'password' }, '密码'), show),
      pwInput,
    ),
    error,
    submit,
    h('p', { class: 'muted small' }, '忘记密码或无法登录，请联系您所在的定期考核机构。'),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    const idNumber = idInput.value.trim().toUpperCase();
    const password = pwInput.value;
    if (!ID_RE.test(idNumber)) {
      showError('请输入正确的 18 位身份证号。');
      idInput.focus();
      return;
    }
    if (!password) {
      showError('请输入密码。');
      pwInput.focus();
      return;
    }
    error.hidden = true;
    submit.disabled = true;
    submit.textContent = '正在登录…';
    try {
      const r = await call<{ token: string; expiresAt: string }>('POST', '/v1/auth/login', {
        body: { idNumber, password },
        auth: false,
      });
      session.set({ token: r.token, expiresAt: r.expiresAt });
      go(takeAfterLogin());
      return;
    } catch (err) {
      submit.disabled = false;
      submit.textContent = '登录';
      if (err instanceof ApiError && err.code === 'rate_limited') {
        const sec = err.retryAfterSec ?? 900;
        const m = Math.ceil(sec / 60);
        showError(`登录失败次数过多，账号已暂时锁定。请 ${m} 分钟后再试。`);
        lockFor(sec);
      } else if (err instanceof ApiError && err.code === 'unauthenticated') {
        showError('身份证号或密码错误，请核对后重新输入。多次输入错误将被暂时锁定。');
        pwInput.value = '';
        pwInput.focus();
      } else if (err instanceof ApiError && err.code === 'validation_failed') {
        showError('请输入正确的 18 位身份证号和密码。');
      } else if (isNetworkError(err)) {
        showError('无法连接考试服务器，请检查网络后重试。');
      } else {
        showError('登录未成功，请稍后重试。');
      }
    }
  });
  main.appendChild(form);
  idInput.focus();
  return () => {
    if (lockTimer) clearInterval(lockTimer);
  };
}
