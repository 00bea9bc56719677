// 开始考试前的确认: the rules once more, what starting means, then POST /v1/attempts.
import { call, isApiError } from '../api';
import { h } from '../dom';
import { minutes } from '../format';
import { go } from '../router';
import type { AttemptView } from '../types';
import { frame, link, message, problemText } from '../ui';
import { loadMe, logoutButton, rulesTable } from './common';
import { primeView } from './exam';

export async function startPage(examId?: string) {
  const main = frame({ right: [logoutButton()] });
  message(main, '正在读取考试信息…', []);
  let me;
  try {
    me = await loadMe();
  } catch (e) {
    message(main, '无法读取考试信息', [problemText(e)], [link('#/', '返回首页')]);
    return;
  }
  if (me.activeAttemptId) return go(`#/exam/${encodeURIComponent(me.activeAttemptId)}`);
  const exams = me.exams ?? [];
  const exam = (examId ? exams.find((e) => e.id === examId) : exams.find((e) => e.outcome !== 'passed')) ?? exams[0];
  if (!exam) {
    message(main, '没有可参加的考试', ['您的报名无需参加网上考试，请联系所在考核机构。'], [link('#/', '返回首页')]);
    return;
  }
  const total = exam.sections.reduce((t, s) => t + s.durationSec, 0);
  const agree = h('input', { type: 'checkbox', id: 'agree' });
  const start = h('button', { type: 'button', class: 'btn primary big', disabled: true, id: 'start' }, '开始考试');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  agree.addEventListener('change', () => (start.disabled = !agree.checked));

  start.addEventListener('click', async () => {
    start.disabled = true;
    start.textContent = '正在组卷…';
    error.hidden = true;
    try {
      const view = await call<AttemptView>('POST', '/v1/attempts', { body: exams.length > 1 ? { exam: exam.id } : {} });
      primeView(view);
      go(`#/exam/${encodeURIComponent(view.id)}`);
    } catch (e) {
      if (isApiError(e, 'attempt_in_progress')) {
        const id = (e.body.attemptId as string | undefined) ?? '';
        return go(id ? `#/exam/${encodeURIComponent(id)}` : '#/exam');
      }
      error.textContent = problemText(e);
      error.hidden = false;
      start.textContent = '开始考试';
      start.disabled = !agree.checked;
    }
  });

  main.textContent = '';
  main.append(
    h(
      'section',
      { class: 'card narrow-wide', 'aria-labelledby': 'start-title' },
      h('h1', { id: 'start-title' }, '开始考试前请确认'),
      h(
        'p',
        { class: 'lead' },
        `${exam.title}：共 ${exam.sections.length} 部分，合计 ${minutes(total)}。这将是您的第 ${exam.attempts.used + 1} 次考试（最多 ${exam.attempts.max} 次）。`,
      ),
      rulesTable(exam.sections, me.candidate.level),
      h('h2', null, '考生须知'),
      h(
        'ol',
        { class: 'notes' },
        h('li', null, '点击“开始考试”即计为一次考试机会，计时立即开始，中途不能暂停。'),
        h('li', null, '各部分依次进行。一部分交卷或时间用完后，自动进入下一部分，已交部分不能再修改。'),
        h('li', null, '计时以服务器时间为准，剩余 5 分钟和 1 分钟时会提醒。时间用完系统自动交卷。'),
        h('li', null, '答案选择后立即自动保存。网络中断时答案保存在本机，网络恢复后自动提交。'),
        h('li', null, '意外关闭或刷新页面后，重新打开并登录即可继续作答，剩余时间照常计算。'),
        h('li', null, '请独立完成考试，不得请他人代考。'),
      ),
      h('label', { class: 'check', for: 'agree' }, agree, h('span', null, '我已阅读并理解以上须知')),
      error,
      h('div', { class: 'actions' }, link('#/', '返回'), start),
    ),
  );
}
