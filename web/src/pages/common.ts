// Pieces several pages share: the logout button, the rules table, loading /v1/me.
import { call } from '../api';
import { h } from '../dom';
import { LEVEL, minutes, passMarkFor, score } from '../format';
import { go } from '../router';
import { session } from '../store';
import type { ExamSectionRule, Me } from '../types';

export function logoutButton() {
  const b = h('button', { type: 'button', class: 'pref' }, '退出登录');
  b.addEventListener('click', () => {
    // Ends the session on the server too (best effort), so a shared computer is left logged out.
    void call('POST', '/v1/auth/logout', { timeoutMs: 5000 }).catch(() => {});
    setTimeout(() => {
      session.set(null);
      go('#/login');
    }, 50);
  });
  return b;
}

export function loadMe(): Promise<Me> {
  return call<Me>('GET', '/v1/me');
}

export function rulesTable(sections: ExamSectionRule[], level?: string | null) {
  return h(
    'table',
    { class: 'rules' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, '考试部分'),
        h('th', { scope: 'col' }, '时长'),
        h('th', { scope: 'col' }, '题量'),
        h('th', { scope: 'col' }, '满分'),
        h('th', { scope: 'col' }, '合格分'),
      ),
    ),
    h(
      'tbody',
      null,
      ...sections.map((s, i) => {
        const mark = passMarkFor(s.passMark, level);
        return h(
          'tr',
          null,
          h(
            'th',
            { scope: 'row' },
            h('span', { class: 'part-no' }, `第${'一二三四五六七八九十'[i] ?? i + 1}部分`),
            s.title,
          ),
          h('td', { 'data-label': '时长' }, minutes(s.durationSec)),
          h('td', { 'data-label': '题量' }, `${s.items} 题`),
          h('td', { 'data-label': '满分' }, `${score(s.points)} 分`),
          h('td', { 'data-label': '合格分' }, mark === null ? '—' : `${score(mark)} 分`),
        );
      }),
    ),
  );
}

/** 法律法规 20 分钟 / 20 分 / 12 分合格；专业知识 40 分钟 / 80 分 / 48 分合格；最多 3 次 */
export function rulesSummary(sections: ExamSectionRule[], maxAttempts: number, level?: string | null): HTMLElement[] {
  const parts = sections.map((s) => {
    const mark = passMarkFor(s.passMark, level);
    return `${s.title} ${minutes(s.durationSec)} / ${score(s.points)} 分 / ${mark === null ? '—' : score(mark)} 分合格；`;
  });
  return [...parts, `最多 ${maxAttempts} 次`].map((p) => h('span', null, p));
}

export function levelName(level?: string | null) {
  return level ? (LEVEL[level] ?? level) : '';
}
