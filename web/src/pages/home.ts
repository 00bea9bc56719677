// 首页: who is logged in, the cycle, tries used and left, the outcome, the rules at a glance.
import { h } from '../dom';
import { dateTime, OUTCOME } from '../format';
import { go } from '../router';
import { lastResult } from '../store';
import { frame, link, message, problemText } from '../ui';
import { levelName, loadMe, logoutButton, rulesSummary, rulesTable } from './common';
import { serverNow } from '../clock';

export async function homePage() {
  const main = frame({ right: [logoutButton()] });
  message(main, '正在读取考生信息…', []);
  let me;
  try {
    me = await loadMe();
  } catch (e) {
    message(
      main,
      '无法读取考生信息',
      [problemText(e)],
      [h('button', { type: 'button', class: 'btn primary', onclick: () => go('#/') }, '重试')],
    );
    return;
  }
  // A try under way: go straight back to it (its clock is running on the server).
  if (me.activeAttemptId) return go(`#/exam/${encodeURIComponent(me.activeAttemptId)}`);
  const c = me.candidate;
  const exams = me.exams ?? [];
  const now = serverNow();
  const open = me.cycle ? now >= Date.parse(me.cycle.opensAt) && now < Date.parse(me.cycle.closesAt) : true;
  main.textContent = '';

  const info = h(
    'section',
    { class: 'card', 'aria-labelledby': 'who' },
    h('h1', { id: 'who' }, c.name),
    h(
      'dl',
      { class: 'facts' },
      h('div', null, h('dt', null, '身份证号'), h('dd', { class: 'mono' }, c.idNumber)),
      h(
        'div',
        null,
        h('dt', null, '考核专业'),
        h('dd', null, c.specialtyName || c.specialty || '—', c.level ? ` · ${levelName(c.level)}` : ''),
      ),
      me.cycle ? h('div', null, h('dt', null, '考核周期'), h('dd', null, me.cycle.title)) : null,
      me.cycle
        ? h(
            'div',
            null,
            h('dt', null, '开放时间'),
            h('dd', null, `${dateTime(me.cycle.opensAt)} 至 ${dateTime(me.cycle.closesAt)}`),
          )
        : null,
    ),
  );

  const status = h(
    'section',
    { class: 'card status-card', 'aria-labelledby': 'status-title' },
    h('h2', { id: 'status-title' }, '考核状态'),
    h(
      'div',
      { class: 'status-row' },
      h('div', { class: `outcome ${me.outcome}`, id: 'outcome' }, OUTCOME[me.outcome]),
      h(
        'div',
        { class: 'tries', id: 'tries' },
        h('span', null, '已考 ', h('strong', null, String(me.attempts.used)), ' 次'),
        h('span', null, '剩余 ', h('strong', null, String(me.attempts.remaining)), ' 次'),
        h('span', { class: 'muted' }, `（最多 ${me.attempts.max} 次）`),
      ),
    ),
  );
  const actions = h('div', { class: 'actions' });
  if (me.activeAttemptId) {
    status.appendChild(h('p', { class: 'callout warn' }, '您有一场考试尚未结束，计时仍在进行，请尽快继续作答。'));
    actions.appendChild(link(`#/exam/${encodeURIComponent(me.activeAttemptId)}`, '继续考试', 'btn primary big'));
  } else if (me.outcome === 'passed') {
    status.appendChild(h('p', { class: 'callout ok' }, '您已通过本周期的定期考核，无需再考。'));
  } else if (me.attempts.remaining <= 0) {
    status.appendChild(h('p', { class: 'callout bad' }, '考试次数已用完，请联系所在考核机构。'));
  } else if (!open) {
    status.appendChild(h('p', { class: 'callout' }, '当前不在考试开放时间内。'));
  } else if (exams.length <= 1) {
    actions.appendChild(link('#/start', me.attempts.used ? '再次考试' : '开始考试', 'btn primary big'));
  }
  const last = lastResult.get();
  if (last && !me.activeAttemptId && me.attempts.used > 0)
    actions.appendChild(link(`#/result/${encodeURIComponent(last)}`, '查看最近一次成绩'));
  if (actions.childNodes.length) status.appendChild(actions);

  const rules = h(
    'section',
    { class: 'card', 'aria-labelledby': 'rules-title' },
    h('h2', { id: 'rules-title' }, '考试规则'),
  );
  for (const exam of exams) {
    if (exams.length > 1) {
      rules.appendChild(
        h('h3', null, exam.title, h('span', { class: `badge ${exam.outcome}` }, OUTCOME[exam.outcome])),
      );
    }
    rules.appendChild(
      h('p', { class: 'summary', 'data-exam': exam.id }, ...rulesSummary(exam.sections, exam.attempts.max, c.level)),
    );
    rules.appendChild(rulesTable(exam.sections, c.level));
    if (exams.length > 1 && !me.activeAttemptId && exam.outcome !== 'passed' && exam.attempts.remaining > 0 && open)
      rules.appendChild(
        h(
          'div',
          { class: 'actions' },
          link(`#/start/${encodeURIComponent(exam.id)}`, `开始「${exam.title}」`, 'btn primary'),
        ),
      );
  }
  rules.appendChild(
    h(
      'ul',
      { class: 'plain' },
      h('li', null, '各部分连续进行：前一部分交卷或时间用完后，立即开始下一部分。'),
      h('li', null, '每一部分均达到合格分，方为考核合格。'),
      h('li', null, '计时以服务器时间为准；答案随选随存，断网或刷新页面不会丢失。'),
    ),
  );

  main.append(h('div', { class: 'grid-home' }, info, status), rules);
}
