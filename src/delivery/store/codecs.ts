// The encodings of a try in Redis, each with its version: the attempt hash, the log entry, the
// question meta and the packed paper. Only the attempt store (attempts.ts) and its Lua scripts use
// them. Separators are whitespace, which ids may not contain (DESIGN §8, "Ids"), so any id is safe.
//
// Layout version 2 (this one): log entries "<ms> <kind> …", packed units split by "\n", " ", "\t".
// Version 1 (before Unicode ids) used "|" in log entries and "~ : , ;" in packed papers; its
// decoders stay so that tries and records written by version 1 still read.
import type { DrawnItem, DrawnUnit } from '../../papers/draw.js';
import type { Paper, PaperSection } from '../../papers/paper.js';
import type { AttemptScore } from '../../scoring/score.js';

export const LAYOUT_VERSION = 2;

// ------------------------------------------------------------------ the attempt hash

export type AttemptStatus = 'in_progress' | 'closed' | 'settled';

export interface SectionClock {
  id: string;
  durationMs: number;
  startedAt: number | null;
  endsAt: number | null;
  endedAt: number | null;
  endedBy: 'submit' | 'time' | null;
}

/** The attempt hash, decoded. Times are milliseconds of the Redis clock. */
export interface AttemptState {
  version: number;
  status: AttemptStatus;
  /** 1 for a candidate's first try of the exam, 2 for the second, … */
  number: number;
  examId: string;
  cycleId: string;
  createdAt: number;
  /** Index of the running section (the last one once the try is closed). */
  current: number;
  sections: SectionClock[];
  closedAt: number | null;
  settledAt: number | null;
  /** The score, once settled. */
  result: AttemptScore | null;
  /** Position of the log's first entry in the try's whole history (0 unless put back from Postgres). */
  logBase: number;
}

/**
 * Hash fields (shared with lib.lua): v layout version, st status, n sections, cur current section,
 * num try number, exam, cycle, created; per section i: sid<i> id, d<i> duration, s<i> started,
 * e<i> deadline, x<i> ended, h<i> how it ended (submit | time); closedAt, settledAt, result, lb.
 */
export type AttemptFields = Record<string, string>;

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

export function decodeAttempt(f: AttemptFields): AttemptState {
  const n = Number(f.n ?? 0);
  const sections: SectionClock[] = [];
  for (let i = 0; i < n; i++)
    sections.push({
      id: f[`sid${i}`] ?? '',
      durationMs: Number(f[`d${i}`] ?? 0),
      startedAt: num(f[`s${i}`]),
      endsAt: num(f[`e${i}`]),
      endedAt: num(f[`x${i}`]),
      endedBy: (f[`h${i}`] as 'submit' | 'time' | undefined) ?? null,
    });
  return {
    version: Number(f.v ?? 1),
    status: f.st as AttemptStatus,
    number: Number(f.num ?? 0),
    examId: f.exam ?? '',
    cycleId: f.cycle ?? '',
    createdAt: Number(f.created ?? f.s0 ?? 0),
    current: Number(f.cur ?? 0),
    sections,
    closedAt: num(f.closedAt),
    settledAt: num(f.settledAt),
    result: f.result ? (JSON.parse(f.result) as AttemptScore) : null,
    logBase: Number(f.lb ?? 0),
  };
}

export function encodeAttempt(a: AttemptState): AttemptFields {
  const f: AttemptFields = {
    v: String(LAYOUT_VERSION),
    st: a.status,
    n: String(a.sections.length),
    cur: String(a.current),
    num: String(a.number),
    exam: a.examId,
    cycle: a.cycleId,
    created: String(a.createdAt),
    lb: String(a.logBase),
  };
  a.sections.forEach((s, i) => {
    f[`sid${i}`] = s.id;
    f[`d${i}`] = String(s.durationMs);
    if (s.startedAt !== null) f[`s${i}`] = String(s.startedAt);
    if (s.endsAt !== null) f[`e${i}`] = String(s.endsAt);
    if (s.endedAt !== null) f[`x${i}`] = String(s.endedAt);
    if (s.endedBy) f[`h${i}`] = s.endedBy;
  });
  if (a.closedAt !== null) f.closedAt = String(a.closedAt);
  if (a.settledAt !== null) f.settledAt = String(a.settledAt);
  if (a.result) f.result = JSON.stringify(a.result);
  return f;
}

/** A try as its start leaves it: the first section running from `startedAt`. */
export function startingAttempt(p: { paper: Paper; number: number; cycleId: string; startedAt: number }): AttemptState {
  return {
    version: LAYOUT_VERSION,
    status: 'in_progress',
    number: p.number,
    examId: p.paper.examId,
    cycleId: p.cycleId,
    createdAt: p.startedAt,
    current: 0,
    sections: p.paper.sections.map((s, i) => ({
      id: s.id,
      durationMs: s.durationMs,
      startedAt: i === 0 ? p.startedAt : null,
      endsAt: i === 0 ? p.startedAt + s.durationMs : null,
      endedAt: null,
      endedBy: null,
    })),
    closedAt: null,
    settledAt: null,
    result: null,
    logBase: 0,
  };
}

// ------------------------------------------------------------------ the log

/** One entry of a try's history, in the order it happened. Replaying them rebuilds the try. */
export type LogEntry =
  | { at: number; kind: 'start'; number: number }
  | { at: number; kind: 'answer'; questionId: string; keys: string }
  | { at: number; kind: 'submit' | 'timeout' | 'section'; section: number }
  | { at: number; kind: 'closed' | 'restored' }
  | { at: number; kind: 'settled'; passed: boolean };

/** Reads a log entry of either layout ("<ms> kind …", or version 1's "<ms>|kind|…"). */
export function decodeLogEntry(raw: string): LogEntry {
  const m = /^(\d+)([ |])/.exec(raw);
  if (!m) throw new Error(`not a log entry: ${raw.slice(0, 80)}`);
  const parts = raw.split(m[2]!);
  const at = Number(parts[0]);
  const kind = parts[1];
  switch (kind) {
    case 'answer':
      // Version 1 ids contained no "|", so everything after the id is the keys.
      return { at, kind, questionId: parts[2]!, keys: parts[3] ?? '' };
    case 'start':
      return { at, kind, number: Number(parts[2]) };
    case 'submit':
    case 'timeout':
    case 'section':
      return { at, kind, section: Number(parts[2]) };
    case 'settled':
      return { at, kind, passed: parts[2] === '1' };
    case 'closed':
    case 'restored':
      return { at, kind };
    default:
      throw new Error(`unknown log entry kind: ${raw.slice(0, 80)}`);
  }
}

/** The last answer per question among log entries: keys set, or cleared. */
export function answersFromLog(entries: LogEntry[]): { set: Record<string, string>; cleared: string[] } {
  const set = new Map<string, string>();
  const cleared = new Set<string>();
  for (const e of entries) {
    if (e.kind !== 'answer') continue;
    if (e.keys) {
      set.set(e.questionId, e.keys);
      cleared.delete(e.questionId);
    } else {
      set.delete(e.questionId);
      cleared.add(e.questionId);
    }
  }
  return { set: Object.fromEntries(set), cleared: [...cleared] };
}

// ------------------------------------------------------------------ question metas

export const TYPE_CODE = { single: 's', multiple: 'm', truefalse: 't' } as const;
const TYPE_OF_CODE = { s: 'single', m: 'multiple', t: 'truefalse' } as const;

/**
 * What the save script validates an answer against, per question id:
 * "<section index>|<s|m|t>|<bank keys in display order>" (save.lua parses it).
 */
export function questionMetas(paper: Paper): [string, string][] {
  const out: [string, string][] = [];
  paper.sections.forEach((s, i) => {
    for (const u of s.units)
      for (const it of u.items) out.push([it.id, `${i}|${TYPE_CODE[it.type]}|${it.order.join('')}`]);
  });
  return out;
}

// ------------------------------------------------------------------ the packed paper

const KIND_CODE = { item: 'i', case: 'c', matching: 'm' } as const;
const KIND_OF_CODE = { i: 'item', c: 'case', m: 'matching' } as const;

type PackedSection = Omit<PaperSection, 'units'> & { units: string };
type PackedPaper = Omit<Paper, 'sections'> & { v?: number; sections: PackedSection[] };

/**
 * The paper as Redis keeps it: section metadata as JSON, each section's units as lines
 * "<kind> <unit id> <item id>\t<type><ORDER> …". About a quarter of the JSON size, which is most of
 * what a try in progress costs in Redis memory.
 */
export function packPaper(paper: Paper): string {
  const packed: PackedPaper = {
    v: LAYOUT_VERSION,
    ...paper,
    sections: paper.sections.map(({ units, ...s }) => ({
      ...s,
      units: units
        .map((u) =>
          [KIND_CODE[u.kind], u.id, ...u.items.map((i) => `${i.id}\t${TYPE_CODE[i.type]}${i.order.join('')}`)].join(
            ' ',
          ),
        )
        .join('\n'),
    })),
  };
  return JSON.stringify(packed);
}

export function unpackPaper(text: string): Paper {
  const { v, ...raw } = JSON.parse(text) as PackedPaper;
  const unpackUnit = (v ?? 1) >= 2 ? unpackUnitV2 : unpackUnitV1;
  const units = (s: PackedSection) => s.units.split((v ?? 1) >= 2 ? '\n' : ';').map(unpackUnit);
  return { ...raw, sections: raw.sections.map((s) => ({ ...s, units: units(s) })) };
}

function unpackUnitV2(line: string): DrawnUnit {
  const [kind, id, ...items] = line.split(' ') as [keyof typeof KIND_OF_CODE, string, ...string[]];
  return {
    id,
    kind: KIND_OF_CODE[kind],
    items: items.map((it): DrawnItem => {
      const [itemId, code] = it.split('\t') as [string, string];
      return { id: itemId, type: TYPE_OF_CODE[code[0] as keyof typeof TYPE_OF_CODE], order: [...code.slice(1)] };
    }),
  };
}

/** Version 1: "unit~kind~item:type:ORDER,item:type:ORDER", units joined by ";". */
function unpackUnitV1(u: string): DrawnUnit {
  const [id, kind, items] = u.split('~') as [string, keyof typeof KIND_OF_CODE, string];
  return {
    id,
    kind: KIND_OF_CODE[kind],
    items: items.split(',').map((it) => {
      const [itemId, type, order] = it.split(':') as [string, keyof typeof TYPE_OF_CODE, string];
      return { id: itemId, type: TYPE_OF_CODE[type], order: [...order] };
    }),
  };
}

/**
 * A flat Redis reply (HGETALL as an array) as an object. Built with Object.fromEntries, which makes
 * every key an own property ("__proto__" included); read it with Object.hasOwn where a key is any
 * text (question ids may be "constructor").
 */
export function pairs(flat: string[]): Record<string, string> {
  const entries: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) entries.push([flat[i]!, flat[i + 1]!]);
  return Object.fromEntries(entries);
}
