// 成绩: section scores against pass marks, pass or fail, tries left. Right after the last section
// timed out the server may answer attempt_not_finished for a moment (the answer grace): wait as
// its Retry-After says and ask again.
import { call, isApiError, isNetworkError } from '../api';
import { h } from '../dom';
import { OUTCOME, score } from '../format';
import type { Me, Result } from '../types';
import { frame, link, message, problemText } from '../ui';
import { loadMe, logoutButton } from './common';
import { lastResult } from '../store';

export async function resultPage(attemptId: string) {
  const main = frame({ right: [logoutButton()] });
  message(main, '正在计算成绩…', ['请稍候，成绩马上就好。']);
  let stopped = false;
  let result: Result | null = null;
  for (let round = 0; !stopped && main.isConnected && round < 60; round++) {
    try {
      result = await call<Result>('GET', `/v1/attempts/${encodeURIComponent(attemptId)}/result`);
      break;
    } catch (e) {
      if (isApiError(e, 'attempt_not_finished') && e.retryAfterSec !== null) {
        await new Promise((r) => setTimeout(r, Math.max(500, (e.retryAfterSec ?? 1) * 1000)));
        continue;
      }
      if (isApiError(e, 'attempt_not_finished')) {
        // Not finished and no hint when it will be: the try is still running.
        message(
          main,
          '考试尚未结束',
          ['这场考试仍在进行中。'],
          [link(`#/exam/${encodeURIComponent(attemptId)}`, '返回考试', 'btn primary'), link('#/', '返回首页')],
        );
        return;
      }
      if (isNetworkError(e) && round < 59) {
        message(main, '正在计算成绩…', ['网络连接不稳定，正在重试…']);
        await new Promise((r) => setTimeout(r, 2000));
        continue;
      }
      message(
        main,
        '无法读取成绩',
        [problemText(e)],
        [
          h('button', { type: 'button', class: 'btn primary', onclick: () => location.reload() }, '重试'),
          link('#/', '返回首页'),
        ],
      );
      return;
    }
  }
  if (stopped || !result) return () => void (stopped = true);
  lastResult.set(attemptId);
  let me: Me | null = null;
  try {
    me = await loadMe();
  } catch {
    me = null;
  }
  main.textContent = '';
  const verdict = h(
    'div',
    { class: `verdict ${result.passed ? 'passed' : 'failed'}`, id: 'verdict' },
    h('div', { class: 'verdict-mark', 'aria-hidden': 'true' }, result.passed ? '✓' : '✗'),
    h(
      'div',
      null,
      h('p', { class: 'verdict-text' }, result.passed ? '考核合格' : '考核不合格'),
      h(
        'p',
        { class: 'verdict-score' },
        '总分 ',
        h('strong', null, score(result.score)),
        ` / ${score(result.maxScore)} 分`,
      ),
    ),
  );
  const table = h(
    'table',
    { class: 'rules results', id: 'result-table' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, '考试部分'),
        h('th', { scope: 'col' }, '得分'),
        h('th', { scope: 'col' }, '满分'),
        h('th', { scope: 'col' }, '合格分'),
        h('th', { scope: 'col' }, '结果'),
      ),
    ),
    h(
      'tbody',
      null,
      ...result.sections.map((s) =>
        h(
          'tr',
          null,
          h('th', { scope: 'row' }, s.title),
          h('td', { 'data-label': '得分', class: 'num' }, h('strong', null, score(s.score))),
          h('td', { 'data-label': '满分', class: 'num' }, score(s.maxScore)),
          h('td', { 'data-label': '合格分', class: 'num' }, score(s.passMark)),
          h(
            'td',
            { 'data-label': '结果' },
            h('span', { class: `badge ${s.passed ? 'passed' : 'failed'}` }, s.passed ? '合格' : '不合格'),
          ),
        ),
      ),
    ),
  );
  const tries = me
    ? h(
        'p',
        { class: 'tries-line', id: 'tries-left' },
        `考试次数：已考 ${me.attempts.used} 次，剩余 ${me.attempts.remaining} 次（最多 ${me.attempts.max} 次）。考核状态：${OUTCOME[me.outcome]}。`,
      )
    : null;
  const advice = result.passed
    ? '您已通过本周期定期考核的业务水平测评。成绩以考核机构公布为准。'
    : me && me.attempts.remaining > 0
      ? '本次未通过。您可以在考试开放时间内再次参加考试。'
      : '本次未通过，考试次数已用完。请联系所在考核机构了解后续安排。';
  const actions = h(
    'div',
    { class: 'actions' },
    link('#/', '返回首页', result.passed || !me || me.attempts.remaining <= 0 ? 'btn primary' : 'btn secondary'),
  );
  if (!result.passed && me && me.attempts.remaining > 0 && !me.activeAttemptId && me.outcome !== 'passed')
    actions.appendChild(link('#/start', '再考一次', 'btn primary'));
  main.append(
    h(
      'section',
      { class: 'card narrow-wide', 'aria-labelledby': 'result-title' },
      h('h1', { id: 'result-title' }, '考试成绩'),
      verdict,
      table,
      h('p', { class: 'muted' }, '每一部分均达到合格分方为合格。'),
      tries,
      h('p', null, advice),
      actions,
    ),
  );
  return () => void (stopped = true);
}
