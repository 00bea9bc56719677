// Dates, durations and labels in Chinese. Times are shown in China Standard Time.
import type { Outcome, PassMark } from './types';

const TZ = 'Asia/Shanghai';

function parts(iso: string) {
  const d = new Date(iso);
  const f = new Intl.DateTimeFormat('zh-CN', {
    timeZone: TZ,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).formatToParts(d);
  const get = (t: string) => f.find((p) => p.type === t)?.value ?? '';
  return { y: get('year'), m: get('month'), d: get('day'), hh: get('hour').replace(/^24$/, '00'), mm: get('minute') };
}

/** 2026年03月01日 08:00 */
export function dateTime(iso: string): string {
  const p = parts(iso);
  return `${p.y}年${p.m}月${p.d}日 ${p.hh}:${p.mm}`;
}

/** 12:05 or 1:02:03 for a countdown. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => (n < 10 ? '0' : '') + n;
  return h ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** 还剩 12 分 5 秒 (for screen readers and notices). */
export function spoken(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m ? (s ? `${m} 分 ${s} 秒` : `${m} 分钟`) : `${s} 秒`;
}

export function minutes(sec: number): string {
  if (sec % 60 === 0) return `${sec / 60} 分钟`;
  return sec < 60 ? `${sec} 秒` : `${Math.floor(sec / 60)} 分 ${sec % 60} 秒`;
}

export function passMarkFor(mark: PassMark, level?: string | null): number | null {
  if (typeof mark === 'number') return mark;
  if (level && typeof mark[level] === 'number') return mark[level];
  const values = Object.values(mark);
  return values.length ? Math.max(...values) : null;
}

export function score(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export const OUTCOME: Record<Outcome, string> = {
  passed: '已通过',
  failed: '未通过',
  in_progress: '考核中',
  not_started: '尚未参加',
};

export const LEVEL: Record<string, string> = { physician: '执业医师', assistant: '执业助理医师' };

export const TYPE_LABEL: Record<string, string> = {
  single: '单选题',
  multiple: '多选题',
  truefalse: '判断题',
  case: '病例题',
  matching: '配伍题',
};
