// Drawing a section's questions from an in-memory bank version. Pure: the same seed, bank version
// and earlier items give the same paper, so any paper can be rebuilt for audit.
import type { BankVersion, Item, Option, Unit } from '../banks/version.js';
import { AppError } from '../errors.js';
import { passMarkFor, type Exam, type Level } from '../policy/schema.js';
import type { Paper, PaperSection } from './paper.js';
import { seededRng, shuffleInPlace, type Rng } from './random.js';

export interface DrawnItem {
  id: string;
  type: Item['type'];
  /** Bank option keys in the order this candidate sees them; shown as A, B, C… (T/F stay T/F). */
  order: string[];
}
export interface DrawnUnit {
  id: string;
  kind: Unit['kind'];
  items: DrawnItem[];
}

export type DrawResult =
  { ok: true; units: DrawnUnit[]; reusedItems: number } | { ok: false; available: number; needed: number };

const TRIES = 8;
/** Papers read in the usual order of a Chinese exam: A1/A2, then A3/A4, B1, X, true/false. */
const KIND_RANK = (u: Unit) =>
  u.kind === 'case'
    ? 1
    : u.kind === 'matching'
      ? 2
      : u.items[0]!.type === 'multiple'
        ? 3
        : u.items[0]!.type === 'truefalse'
          ? 4
          : 0;

/**
 * Picks whole units (a case or matching group is never split) until the section has exactly
 * `items` items worth exactly `points`. Units none of whose items the candidate has seen come
 * first; seen ones are used only when the unseen cannot fill the section.
 */
export function drawSection(
  bank: BankVersion,
  items: number,
  points: number,
  seen: ReadonlySet<string>,
  rng: Rng,
  /** Items that must not appear at all: those an earlier section of the same paper holds. */
  exclude: ReadonlySet<string> = new Set(),
): DrawResult {
  const fresh: Unit[] = [];
  const stale: Unit[] = [];
  let available = 0;
  for (const u of bank.units) {
    if (u.items.some((i) => exclude.has(i.id))) continue;
    available += u.items.length;
    (u.items.some((i) => seen.has(i.id)) ? stale : fresh).push(u);
  }
  if (available < items) return { ok: false, available, needed: items };
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const picked: Unit[] = [];
    const left = { items, points };
    take(fresh.slice(), left, picked, rng);
    const freshCount = picked.length;
    take(stale.slice(), left, picked, rng);
    if (left.items === 0 && Math.abs(left.points) < 1e-9) {
      const reusedItems = picked.slice(freshCount).reduce((s, u) => s + u.items.length, 0);
      picked.sort((x, y) => KIND_RANK(x) - KIND_RANK(y));
      return { ok: true, units: picked.map((u) => drawUnit(u, rng)), reusedItems };
    }
  }
  return { ok: false, available, needed: items };
}

/**
 * Walks the pool in a random order, taking every unit that still fits, until the section is full.
 * The order is shuffled lazily (one Fisher-Yates step per unit looked at), so a draw costs about
 * as many steps as the section has units, not as many as the bank.
 */
function take(pool: Unit[], left: { items: number; points: number }, picked: Unit[], rng: Rng) {
  for (let i = 0; i < pool.length && (left.items > 0 || left.points > 1e-9); i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    const u = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = u;
    if (u.items.length <= left.items && u.points <= left.points + 1e-9) {
      picked.push(u);
      left.items -= u.items.length;
      left.points -= u.points;
    }
  }
}

function drawUnit(u: Unit, rng: Rng): DrawnUnit {
  // A matching group's items share one option order, or "B" would mean different things.
  const shared = u.kind === 'matching' ? permute(u.options!, u.shuffle, rng) : null;
  return {
    id: u.id,
    kind: u.kind,
    items: u.items.map((it) => ({ id: it.id, type: it.type, order: shared ?? permute(it.options, it.shuffle, rng) })),
  };
}

/** Shuffles option keys, leaving `fixed` options where they stand. */
function permute(options: Option[], shuffle: boolean, rng: Rng): string[] {
  const keys = options.map((o) => o.key);
  if (!shuffle) return keys;
  const movable = options.filter((o) => !o.fixed).map((o) => o.key);
  shuffleInPlace(movable, rng);
  let m = 0;
  return options.map((o) => (o.fixed ? o.key : movable[m++]!));
}

/** The letters a candidate sees for an item's options. */
export function displayKeys(item: DrawnItem): string[] {
  return item.type === 'truefalse' ? item.order : item.order.map((_, i) => String.fromCharCode(65 + i));
}

/** What a candidate's paper is drawn from: their exam, level, specialty and the items they have seen. */
export interface PaperRequest {
  exam: Exam;
  policyId: string | null;
  level: Level;
  specialty: string;
  /** Item ids a candidate has seen, by bank. */
  seen: (bankId: string) => ReadonlySet<string>;
  seed: string;
  /** The newest published version of a bank. */
  latest: (bankId: string) => BankVersion | undefined;
}

/** Draws every section of an exam; fails with bank_missing or bank_too_small before anything is counted. */
export function drawPaper(r: PaperRequest): Paper {
  // Two sections may draw from one bank: an item is never shown twice in one try.
  const inPaper = new Map<string, Set<string>>();
  const sections: PaperSection[] = r.exam.sections.map((s) => {
    const bankId = s.bank === '@specialty' ? r.specialty : s.bank;
    const bank = r.latest(bankId);
    if (!bank)
      throw new AppError('bank_missing', `题库 ${bankId} 尚未发布 (bank ${bankId} is not published)`, {
        section: s.id,
        bankId,
      });
    const taken = inPaper.get(bankId) ?? new Set<string>();
    const drawn = drawSection(bank, s.items, s.points, r.seen(bankId), seededRng(r.seed, s.id), taken);
    if (drawn.ok) for (const u of drawn.units) for (const i of u.items) taken.add(i.id);
    inPaper.set(bankId, taken);
    if (!drawn.ok)
      throw new AppError(
        'bank_too_small',
        `题库 ${bankId} 无法组成「${s.title}」：需要 ${drawn.needed} 题，可用 ${drawn.available} 题`,
        { section: s.id, bankId, needed: drawn.needed, available: drawn.available },
      );
    return {
      id: s.id,
      title: s.title,
      bankId,
      bankVersion: bank.version,
      durationMs: s.durationSec * 1000,
      points: s.points,
      passMark: passMarkFor(s.passMark, r.level),
      units: drawn.units,
    };
  });
  return { examId: r.exam.id, policyId: r.policyId, level: r.level, seed: r.seed, sections };
}
