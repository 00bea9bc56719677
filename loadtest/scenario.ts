// The peak-window scenario, shared by the setup command, the Node driver and the bench (the k6
// script restates the same numbers in plain JavaScript): banks whose right options are marked, an
// inline policy with the Beijing item counts, valid 身份证 numbers, and the arrival curve.

/** The text of a right option starts with this, so a virtual candidate can answer on purpose. */
export const RIGHT = '【正确】';
export const BENCH_PASSWORD = 'bench-password-2024';
export const LAW_BANK = 'law';
export const SPECIALTY = 'internal-medicine';

const KEYS = ['A', 'B', 'C', 'D', 'E'];

function single(id: string, right: string) {
  return {
    id,
    type: 'single' as const,
    stem: `题干 ${id}：下列哪一项是正确的？`,
    options: KEYS.map((key) => ({ key, text: key === right ? `${RIGHT}${id} 选项 ${key}` : `${id} 干扰项 ${key}` })),
    answer: [right],
    points: 1,
    topic: 'bench',
  };
}

/** A bank of singles, case groups (A3/A4) and matching groups (B1); right keys vary. */
export function makeBank(bankId: string, singles: number, cases = 0, matchings = 0, size = 3) {
  const questions: unknown[] = [];
  for (let i = 1; i <= singles; i++) questions.push(single(`${bankId}-q${i}`, KEYS[i % 5]!));
  for (let c = 1; c <= cases; c++)
    questions.push({
      id: `${bankId}-c${c}`,
      type: 'case',
      stem: `病例 ${c}：患者，男，56岁……`,
      questions: Array.from({ length: size }, (_, j) => single(`${bankId}-c${c}-${j + 1}`, KEYS[(c + j) % 5]!)),
    });
  for (let m = 1; m <= matchings; m++)
    questions.push({
      id: `${bankId}-m${m}`,
      type: 'matching',
      stem: '共用备选答案',
      options: KEYS.map((key) => ({ key, text: key === 'B' ? `${RIGHT}选项 ${m}-B` : `选项 ${m}-${key}` })),
      questions: Array.from({ length: size }, (_, j) => ({
        id: `${bankId}-m${m}-${j + 1}`,
        stem: `配伍 ${j + 1}`,
        answer: ['B'],
        points: 1,
      })),
    });
  return { bankId, title: `压测题库 ${bankId}`, questions };
}

export function benchBanks() {
  return [makeBank(LAW_BANK, 200), makeBank(SPECIALTY, 400, 30, 30)];
}

/**
 * Beijing's item counts (法律法规 20 + 专业知识 80, pass 12 / 48, three tries) with section
 * durations long enough for the think time used: a compressed run needs no 60-minute sections.
 */
export function benchPolicy(thinkMaxMs: number, slackSec = 120) {
  const dur = (items: number) => Math.min(24 * 3600, Math.ceil((items * thinkMaxMs * 2) / 1000) + slackSec);
  return {
    id: 'bench',
    title: '压测：北京题量，压缩时长',
    exams: [
      {
        id: 'business',
        title: '业务水平测评',
        maxAttempts: 3,
        passRule: 'all-sections',
        procedures: ['general'],
        sections: [
          { id: 'law', title: '法律法规', bank: LAW_BANK, durationSec: dur(20), items: 20, points: 20, passMark: 12 },
          {
            id: 'specialty',
            title: '专业知识',
            bank: '@specialty',
            durationSec: dur(80),
            items: 80,
            points: 80,
            passMark: 48,
          },
        ],
      },
    ],
  };
}

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The i-th valid 身份证 number of a run (distinct for i < 10,950,000; `salt` varies the region). */
export function idNumberFor(i: number, salt = 0): string {
  const regions = ['110101', '110102', '110105', '110106', '110108', '310101', '440103', '510104'];
  const region = regions[salt % regions.length]!;
  const day = Math.floor(i / 1000); // one day per 1000 candidates, from 1960-01-01
  const date = new Date(Date.UTC(1960, 0, 1) + day * 86_400_000);
  const ymd = `${date.getUTCFullYear()}${String(date.getUTCMonth() + 1).padStart(2, '0')}${String(date.getUTCDate()).padStart(2, '0')}`;
  const body = `${region}${ymd}${String(i % 1000).padStart(3, '0')}`;
  let sum = 0;
  for (let k = 0; k < 17; k++) sum += Number(body[k]) * WEIGHTS[k]!;
  return body + CHECK[sum % 11]!;
}

export function registrationRow(idNumber: string, password = BENCH_PASSWORD) {
  return {
    idNumber,
    name: '压测医生',
    category: '临床',
    scopes: ['内科专业'],
    level: 'physician',
    specialty: SPECIALTY,
    password,
  };
}

/**
 * The synchronized start as k6's ramping-arrival-rate draws it: the rate climbs from 0 to a peak in
 * the first sixth of the window, holds for two thirds, and falls back to 0 in the last sixth. The
 * peak is chosen so that exactly `n` candidates arrive within `windowSec`.
 */
export function arrivalStages(n: number, windowSec: number) {
  const up = windowSec / 6;
  const hold = windowSec - 2 * up;
  const peak = n / (up / 2 + hold + up / 2);
  return { up, hold, down: up, peak };
}

/** Arrival offsets (ms from the window's opening) of `n` candidates on that curve. */
export function arrivalOffsets(n: number, windowSec: number): number[] {
  const { up, hold, peak } = arrivalStages(n, windowSec);
  const areaUp = (peak * up) / 2;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = i + 0.5; // the i-th arrival: where the cumulative count reaches i + 0.5
    let t: number;
    if (a <= areaUp) t = Math.sqrt((2 * a * up) / peak);
    else if (a <= areaUp + peak * hold) t = up + (a - areaUp) / peak;
    else {
      const rest = n - a; // symmetric ramp down
      t = windowSec - Math.sqrt((2 * Math.max(rest, 0) * up) / peak);
    }
    out.push(Math.round(t * 1000));
  }
  return out;
}

/** "30000-90000" or "500" (ms) → [min, max]. */
export function parseRange(s: string): [number, number] {
  const m = /^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?$/.exec(s.trim());
  if (!m) throw new Error(`not a range of milliseconds: ${s}`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new Error(`range upside down: ${s}`);
  return [lo, hi];
}
