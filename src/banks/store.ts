// Published bank versions: immutable rows in Postgres, held in memory by every API process.
import { createHash } from 'node:crypto';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { bankVersions } from '../db/schema.js';
import { AppError } from '../errors.js';
import { parseBank, type Bank } from './schema.js';
import { bankCounts, indexBank, type BankVersion } from './version.js';

export interface BankWarning {
  questionId?: string;
  message: string;
}
export interface PublishResult {
  created: boolean;
  bankId: string;
  version: number;
  title: string;
  questions: number;
  byType: Record<string, number>;
  contentHash: string;
  warnings: BankWarning[];
}
/** Checks a bank against the policies that will draw from it; throws bank_too_small. */
export type FitCheck = (bank: BankVersion) => Promise<void>;

export class BankStore {
  private latestById = new Map<string, BankVersion>();
  private byVersion = new Map<string, BankVersion>();
  private loading = new Map<string, Promise<BankVersion | undefined>>();

  constructor(
    private readonly db: Db,
    private readonly onPublished: (bankId: string, version: number) => Promise<void> = async () => {},
  ) {}

  /** Validates and stores a new immutable version; the same content again is a no-op. */
  async publish(
    input: unknown,
    opts: { bankId?: string; fitCheck?: FitCheck; dryRun?: boolean } = {},
  ): Promise<PublishResult> {
    const parsed = parseBank(input);
    if (!parsed.ok) {
      const head = parsed.issues.slice(0, 3).map((i) => `${i.questionId ?? '(bank)'}.${i.field}: ${i.message}`);
      throw new AppError(
        'validation_failed',
        `题库校验失败 bank is invalid: ${head.join('; ')}${parsed.issues.length > 3 ? ' …' : ''}`,
        {
          errors: parsed.issues,
        },
      );
    }
    const bank = parsed.bank;
    if (opts.bankId && bank.bankId !== opts.bankId)
      throw new AppError(
        'validation_failed',
        `bankId in the body ("${bank.bankId}") differs from the path ("${opts.bankId}")`,
      );
    const contentHash = hashBank(bank);
    const counts = bankCounts(bank);
    const warnings = bankWarnings(bank);
    const existing = await this.findByHash(bank.bankId, contentHash);
    if (existing) return { created: false, ...this.describe(existing), warnings };
    if (opts.fitCheck) await opts.fitCheck(indexBank(bank, 0, contentHash));
    if (opts.dryRun)
      return {
        created: false,
        bankId: bank.bankId,
        version: 0,
        title: bank.title,
        questions: counts.questions,
        byType: counts.byType,
        contentHash,
        warnings,
      };

    for (let tries = 0; ; tries++) {
      const [{ next }] = (await this.db
        .select({ next: sql<number>`coalesce(max(${bankVersions.version}), 0) + 1` })
        .from(bankVersions)
        .where(eq(bankVersions.bankId, bank.bankId))) as [{ next: number }];
      const inserted = await this.db
        .insert(bankVersions)
        .values({
          bankId: bank.bankId,
          version: Number(next),
          title: bank.title,
          contentHash,
          content: bank,
          questions: counts.questions,
          byType: counts.byType,
          byTopic: counts.byTopic,
        })
        .onConflictDoNothing()
        .returning({ version: bankVersions.version });
      if (inserted[0]) {
        const v = this.remember(bank, inserted[0].version, contentHash);
        await this.onPublished(bank.bankId, v.version);
        return { created: true, ...this.describe(v), warnings };
      }
      // Lost a race: either the same content (then it is there now) or another version took the number.
      const same = await this.findByHash(bank.bankId, contentHash);
      if (same) return { created: false, ...this.describe(same), warnings };
      if (tries > 5) throw new AppError('conflict', 'too many concurrent publishes of this bank; try again');
    }
  }

  /** The version new tries draw from (newest not retired), from memory. */
  latest(bankId: string): BankVersion | undefined {
    return this.latestById.get(bankId);
  }

  /** Any version, from memory or loaded once from Postgres (a try keeps the version it was drawn from). */
  async get(bankId: string, version: number): Promise<BankVersion | undefined> {
    const k = `${bankId}@${version}`;
    const hit = this.byVersion.get(k);
    if (hit) return hit;
    let p = this.loading.get(k);
    if (!p) {
      p = this.load(bankId, version).finally(() => this.loading.delete(k));
      this.loading.set(k, p);
    }
    return p;
  }

  cached(bankId: string, version: number): BankVersion | undefined {
    return this.byVersion.get(`${bankId}@${version}`);
  }

  /** Reloads the newest non-retired version of one bank, or of all of them. */
  async refresh(bankId?: string): Promise<void> {
    const rows = await this.db
      .selectDistinctOn([bankVersions.bankId], {
        bankId: bankVersions.bankId,
        version: bankVersions.version,
        contentHash: bankVersions.contentHash,
      })
      .from(bankVersions)
      .where(
        bankId ? and(eq(bankVersions.bankId, bankId), isNull(bankVersions.retiredAt)) : isNull(bankVersions.retiredAt),
      )
      .orderBy(bankVersions.bankId, desc(bankVersions.version));
    const seen = new Set<string>();
    for (const r of rows) {
      seen.add(r.bankId);
      const current = this.latestById.get(r.bankId);
      if (current?.version === r.version) continue;
      const v = await this.get(r.bankId, r.version);
      if (v) this.latestById.set(r.bankId, v);
    }
    for (const id of bankId ? [bankId] : [...this.latestById.keys()]) if (!seen.has(id)) this.latestById.delete(id);
  }

  async list() {
    const rows = await this.db
      .selectDistinctOn([bankVersions.bankId], {
        bankId: bankVersions.bankId,
        title: bankVersions.title,
        version: bankVersions.version,
        questions: bankVersions.questions,
        byType: bankVersions.byType,
        createdAt: bankVersions.createdAt,
      })
      .from(bankVersions)
      .where(isNull(bankVersions.retiredAt))
      .orderBy(bankVersions.bankId, desc(bankVersions.version));
    return rows;
  }

  async versions(bankId: string) {
    return this.db
      .select({
        version: bankVersions.version,
        title: bankVersions.title,
        contentHash: bankVersions.contentHash,
        questions: bankVersions.questions,
        byType: bankVersions.byType,
        byTopic: bankVersions.byTopic,
        createdAt: bankVersions.createdAt,
        retiredAt: bankVersions.retiredAt,
      })
      .from(bankVersions)
      .where(eq(bankVersions.bankId, bankId))
      .orderBy(desc(bankVersions.version));
  }

  /** Retired versions are no longer drawn from; tries already drawn from them keep them. */
  async retire(bankId: string, version: number): Promise<void> {
    const rows = await this.db
      .update(bankVersions)
      .set({ retiredAt: new Date() })
      .where(and(eq(bankVersions.bankId, bankId), eq(bankVersions.version, version)))
      .returning({ version: bankVersions.version });
    if (!rows[0]) throw new AppError('not_found', `bank ${bankId} has no version ${version}`);
    await this.refresh(bankId);
    await this.onPublished(bankId, version);
  }

  private async findByHash(bankId: string, contentHash: string): Promise<BankVersion | undefined> {
    const [row] = await this.db
      .select({ version: bankVersions.version })
      .from(bankVersions)
      .where(and(eq(bankVersions.bankId, bankId), eq(bankVersions.contentHash, contentHash)));
    return row ? this.get(bankId, row.version) : undefined;
  }

  private async load(bankId: string, version: number): Promise<BankVersion | undefined> {
    const [row] = await this.db
      .select()
      .from(bankVersions)
      .where(and(eq(bankVersions.bankId, bankId), eq(bankVersions.version, version)));
    if (!row) return undefined;
    return this.remember(row.content as Bank, row.version, row.contentHash);
  }

  private remember(bank: Bank, version: number, contentHash: string): BankVersion {
    const v = indexBank(bank, version, contentHash);
    this.byVersion.set(`${bank.bankId}@${version}`, v);
    const cur = this.latestById.get(bank.bankId);
    if (!cur || cur.version < version) this.latestById.set(bank.bankId, v);
    return v;
  }

  private describe(v: BankVersion) {
    const byType: Record<string, number> = {};
    for (const u of v.units) {
      const t = u.kind === 'item' ? u.items[0]!.type : u.kind;
      byType[t] = (byType[t] ?? 0) + u.items.length;
    }
    return {
      bankId: v.bankId,
      version: v.version,
      title: v.title,
      questions: v.itemCount,
      byType,
      contentHash: v.contentHash,
    };
  }
}

/** sha256 over a key-sorted serialisation, so that the same content always hashes the same. */
export function hashBank(bank: Bank): string {
  return createHash('sha256').update(stableStringify(bank)).digest('hex');
}

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Things worth an admin's look that do not make a bank invalid. */
export function bankWarnings(bank: Bank): BankWarning[] {
  const out: BankWarning[] = [];
  const stems = new Map<string, string>();
  const norm = (s: string) => s.replace(/\s+/g, '').toLowerCase();
  const checkStem = (id: string, stem: string) => {
    const k = norm(stem);
    const first = stems.get(k);
    if (first) out.push({ questionId: id, message: `题干与 ${first} 重复 (duplicate stem of ${first})` });
    else stems.set(k, id);
  };
  const checkOptions = (id: string, options: { text: string }[]) => {
    const texts = options.map((o) => norm(o.text));
    if (new Set(texts).size !== texts.length) out.push({ questionId: id, message: '选项内容重复 (options repeat)' });
  };
  for (const q of bank.questions) {
    if (q.type === 'case') {
      checkStem(q.id, q.stem);
      for (const x of q.questions) if (x.type !== 'truefalse') checkOptions(x.id, x.options);
    } else if (q.type === 'matching') {
      checkOptions(q.id, q.options);
      for (const x of q.questions) checkStem(x.id, x.stem);
    } else {
      checkStem(q.id, q.stem);
      if (q.type !== 'truefalse') checkOptions(q.id, q.options);
    }
  }
  return out;
}
