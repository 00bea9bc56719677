// Registration, credentials and sessions. A session token names its candidate
// ("<candidateId>.<secret>") so that the hot path finds the session under the candidate's hash tag
// in the same Redis script that does the work.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { customAlphabet } from 'nanoid';
import { z } from 'zod';
import type { Catalogue } from '../catalogue/catalogue.js';
import { checkEligibility } from '../catalogue/catalogue.js';
import type { Db } from '../db/client.js';
import { candidates, cycles, sessions } from '../db/schema.js';
import { AppError } from '../errors.js';
import { LEVELS, PROCEDURES } from '../policy/schema.js';
import type { Keys } from '../redis/keys.js';
import { safeText } from '../text.js';
import { checkIdNumber } from './id-number.js';
import { DUMMY_HASH, generatePassword, hashPassword, verifyPassword } from './password.js';

export const newCandidateId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 14);

export const registrationSchema = z
  .object({
    idNumber: safeText(32),
    name: safeText(60, { trim: true }).min(1),
    category: safeText(40, { trim: true }).min(1),
    scopes: z
      .array(safeText(60, { trim: true }).min(1))
      .min(1)
      .max(10),
    level: z.enum(LEVELS),
    specialty: safeText(64, { trim: true }).min(1),
    procedure: z.enum(PROCEDURES).default('general'),
    password: safeText(128).min(8, '密码至少8位 (at least 8 characters)').optional(),
    delegatedTo: z.enum(['cosmetic', 'health-check']).nullable().optional(),
  })
  .strict();
export type Registration = z.output<typeof registrationSchema>;

export interface RegistrationResult {
  idNumber: string;
  status: 'created' | 'updated' | 'rejected';
  code?: string;
  detail?: string;
  password?: string;
  candidateId?: string;
}

export interface SessionInfo {
  token: string;
  expiresAt: Date;
  candidateId: string;
}

const LOGIN_WINDOW_SEC = 15 * 60;
const MAX_FAILURES_PER_ID = 5;
const MAX_FAILURES_PER_ADDRESS = 50;

/** What the hot path keeps of a registration (see DeliveryService.warm). */
export interface RegisteredProfile {
  candidateId: string;
  cycle: string;
  specialty: string;
  level: string;
  procedure: string;
  name: string;
  idNumber: string;
}

/**
 * Delivery's copy of what a candidate's starts need. Registration writes it, and so does a login
 * that finds it missing, so that the 08:00 rush of starts is served from Redis alone: doctors log
 * in before the window opens, and a login reads Postgres anyway.
 */
export interface HotPath {
  registered(profiles: RegisteredProfile[]): Promise<void>;
  /** Registrations that changed: the hot path drops its copy, and the next request reloads it. */
  changed(candidateIds: string[]): Promise<void>;
  loggedIn(candidateId: string): Promise<void>;
}

export class CandidateService {
  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly catalogue: Catalogue,
    private readonly sessionTtlSec: number,
    private readonly hotPath: HotPath,
  ) {}

  /** Registers or updates each row on its own: one bad row never blocks the others. */
  async register(cycleId: string, rows: unknown[]): Promise<RegistrationResult[]> {
    const [cycle] = await this.db.select({ cycleId: cycles.cycleId }).from(cycles).where(eq(cycles.cycleId, cycleId));
    if (!cycle) throw new AppError('not_found', `考核周期 ${cycleId} 不存在 (no such cycle)`);

    const results: RegistrationResult[] = [];
    const accepted: { row: Registration; index: number }[] = [];
    const seenIds = new Set<string>();
    rows.forEach((raw, index) => {
      const rawId =
        typeof (raw as { idNumber?: unknown })?.idNumber === 'string' ? (raw as { idNumber: string }).idNumber : '';
      const reject = (code: string, detail: string) =>
        (results[index] = { idNumber: rawId, status: 'rejected', code, detail });
      const parsed = registrationSchema.safeParse(raw);
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        return reject('validation_failed', `${i.path.join('.') || '(row)'}: ${i.message}`);
      }
      const id = checkIdNumber(parsed.data.idNumber);
      if (!id.ok) return reject('invalid_id_number', id.reason);
      if (seenIds.has(id.idNumber))
        return reject('duplicate_row', '同一身份证号在本次提交中重复 (the id number appears twice in this request)');
      const specialty = this.resolveSpecialty(parsed.data.specialty, parsed.data.delegatedTo ?? null);
      const eligible = checkEligibility(this.catalogue, specialty, {
        category: parsed.data.category,
        scopes: parsed.data.scopes,
        delegatedTo: parsed.data.delegatedTo ?? null,
      });
      if (!eligible.ok) return reject(eligible.code, eligible.detail);
      seenIds.add(id.idNumber);
      accepted.push({ row: { ...parsed.data, idNumber: id.idNumber, specialty: eligible.specialty.code }, index });
    });
    if (!accepted.length) return results;

    const existing = await this.db
      .select({ candidateId: candidates.candidateId, idNumber: candidates.idNumber })
      .from(candidates)
      .where(
        and(
          eq(candidates.cycleId, cycleId),
          inArray(
            candidates.idNumber,
            accepted.map((a) => a.row.idNumber),
          ),
        ),
      );
    const existingIds = new Map(existing.map((e) => [e.idNumber, e.candidateId]));

    // Hash in parallel (libuv's pool does the work), then write in one statement.
    const prepared = await Promise.all(
      accepted.map(async ({ row, index }) => {
        const isNew = !existingIds.has(row.idNumber);
        const generated = isNew && !row.password ? generatePassword() : undefined;
        const password = row.password ?? generated;
        return { row, index, isNew, generated, passwordHash: password ? await hashPassword(password) : undefined };
      }),
    );
    const now = new Date();
    const values = prepared.map((p) => ({
      candidateId: existingIds.get(p.row.idNumber) ?? newCandidateId(),
      cycleId,
      idNumber: p.row.idNumber,
      name: p.row.name,
      category: p.row.category,
      scopes: p.row.scopes,
      level: p.row.level,
      specialty: p.row.specialty,
      procedure: p.row.procedure,
      delegatedTo: p.row.delegatedTo ?? null,
      // An update without a password keeps the old hash (see the conflict clause).
      passwordHash: p.passwordHash ?? '',
      updatedAt: now,
    }));
    for (let i = 0; i < values.length; i += 1000) {
      await this.db
        .insert(candidates)
        .values(values.slice(i, i + 1000))
        .onConflictDoUpdate({
          target: [candidates.cycleId, candidates.idNumber],
          set: {
            name: sql`excluded.name`,
            category: sql`excluded.category`,
            scopes: sql`excluded.scopes`,
            level: sql`excluded.level`,
            specialty: sql`excluded.specialty`,
            procedure: sql`excluded.procedure`,
            delegatedTo: sql`excluded.delegated_to`,
            passwordHash: sql`case when excluded.password_hash = '' then ${candidates.passwordHash} else excluded.password_hash end`,
            updatedAt: sql`excluded.updated_at`,
          },
        });
    }
    // The hot path keeps a copy of the profile; drop it so the next request reloads the new one.
    const updatedIds = values.filter((v) => existingIds.has(v.idNumber)).map((v) => v.candidateId);
    if (updatedIds.length) await this.hotPath.changed(updatedIds);
    await this.hotPath.registered(
      values
        .filter((v) => !existingIds.has(v.idNumber))
        .map((v) => ({
          candidateId: v.candidateId,
          cycle: cycleId,
          specialty: v.specialty,
          level: v.level,
          procedure: v.procedure,
          name: v.name,
          idNumber: v.idNumber,
        })),
    );

    prepared.forEach((p, i) => {
      results[p.index] = {
        idNumber: p.row.idNumber,
        status: p.isNew ? 'created' : 'updated',
        candidateId: values[i]!.candidateId,
        ...(p.generated ? { password: p.generated } : {}),
      };
    });
    return results;
  }

  /** Accepts a catalogue code, or a 报考专业 name as admins write it in a sheet. */
  private resolveSpecialty(value: string, delegatedTo: string | null): string {
    if (this.catalogue.byCode.has(value)) return value;
    const provider =
      delegatedTo === 'cosmetic' ? 'cosmetic' : delegatedTo === 'health-check' ? 'health-check' : 'general';
    const byName = this.catalogue.specialties.filter((s) => s.name === value);
    return (byName.find((s) => s.provider === provider) ?? byName[0])?.code ?? value;
  }

  async login(idNumberRaw: string, password: string, address: string): Promise<SessionInfo> {
    const idNumber = idNumberRaw.trim().toUpperCase();
    const idKey = this.keys.loginFailures(idNumber);
    const addrKey = this.keys.loginFailuresByAddress(address);
    const [idFails, addrFails] = await this.redis.mget(idKey, addrKey);
    if (Number(idFails ?? 0) >= MAX_FAILURES_PER_ID || Number(addrFails ?? 0) >= MAX_FAILURES_PER_ADDRESS) {
      const ttl = Math.max(await this.redis.ttl(Number(idFails ?? 0) >= MAX_FAILURES_PER_ID ? idKey : addrKey), 1);
      throw new AppError(
        'rate_limited',
        `登录失败次数过多，请 ${Math.ceil(ttl / 60)} 分钟后再试 (too many failed logins)`,
        {
          retryAfterSec: ttl,
        },
      );
    }
    // A person may be registered in several cycles (a re-exam cycle, say): an open cycle first, then the newest.
    const rows = await this.db
      .select({ candidateId: candidates.candidateId, passwordHash: candidates.passwordHash })
      .from(candidates)
      .innerJoin(cycles, eq(cycles.cycleId, candidates.cycleId))
      .where(eq(candidates.idNumber, idNumber))
      .orderBy(sql`(now() between ${cycles.opensAt} and ${cycles.closesAt}) desc`, sql`${cycles.opensAt} desc`);
    let match: string | undefined;
    for (const r of rows) {
      if (await verifyPassword(password, r.passwordHash)) {
        match = r.candidateId;
        break;
      }
    }
    if (!rows.length) await verifyPassword(password, DUMMY_HASH);
    if (!match) {
      await this.redis
        .multi()
        .incr(idKey)
        .expire(idKey, LOGIN_WINDOW_SEC, 'NX')
        .incr(addrKey)
        .expire(addrKey, LOGIN_WINDOW_SEC, 'NX')
        .exec();
      throw new AppError('unauthenticated', '身份证号或密码错误 (wrong id number or password)');
    }
    await this.redis.del(idKey);
    const [session] = await Promise.all([this.createSession(match), this.hotPath.loggedIn(match)]);
    return session;
  }

  async createSession(candidateId: string): Promise<SessionInfo> {
    const token = `${candidateId}.${randomBytes(24).toString('base64url')}`;
    const tokenHash = hashToken(token);
    const expiresAt = new Date(Date.now() + this.sessionTtlSec * 1000);
    await this.db.insert(sessions).values({ tokenHash, candidateId, expiresAt });
    await this.redis.set(this.keys.session(candidateId, tokenHash), '1', 'PXAT', expiresAt.getTime());
    return { token, expiresAt, candidateId };
  }

  /**
   * The slow path of authentication, taken only when Redis does not know a session (expired, or
   * Redis lost its data): Postgres decides, and a valid session is put back into Redis.
   */
  async restoreSession(candidateId: string, tokenHash: string): Promise<boolean> {
    const [row] = await this.db
      .select({ expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.tokenHash, tokenHash), eq(sessions.candidateId, candidateId)));
    if (!row || row.expiresAt.getTime() <= Date.now()) return false;
    await this.redis.set(this.keys.session(candidateId, tokenHash), '1', 'PXAT', row.expiresAt.getTime());
    return true;
  }

  /** Ends a session; false when there was none (logged out already, or never issued). */
  async logout(candidateId: string, tokenHash: string): Promise<boolean> {
    const ended = await this.db
      .delete(sessions)
      .where(and(eq(sessions.tokenHash, tokenHash), eq(sessions.candidateId, candidateId)))
      .returning({ tokenHash: sessions.tokenHash });
    await this.redis.del(this.keys.session(candidateId, tokenHash));
    return ended.length > 0;
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Splits "<candidateId>.<secret>"; anything else is not a token of ours. */
export function parseToken(token: string): { candidateId: string; tokenHash: string } | null {
  const m = /^([0-9a-z]{6,32})\.[A-Za-z0-9_-]{20,64}$/.exec(token);
  return m ? { candidateId: m[1]!, tokenHash: hashToken(token) } : null;
}
