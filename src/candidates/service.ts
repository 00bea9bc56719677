// Registration, credentials and sessions. A session token names its candidate
// ("<candidateId>.<secret>") so that the hot path finds the session under the candidate's hash tag
// in the same Redis script that does the work.
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import { customAlphabet } from 'nanoid';
import { z } from 'zod';
import type { Catalogue } from '../catalogue/catalogue.js';
import { checkEligibility } from '../catalogue/catalogue.js';
import { rowsOf, type Db } from '../db/client.js';
import { candidates, cycles, sessions } from '../db/schema.js';
import { AppError } from '../errors.js';
import { LEVELS, PROCEDURES } from '../policy/schema.js';
import type { Keys } from '../redis/keys.js';
import { safeText } from '../text.js';
import { defineScripts } from '../redis/scripts.js';
import { addressBucket } from './address.js';
import { checkIdNumber } from './id-number.js';
import { HashQueue, PasswordHasher, generatePassword, type PepperSource } from './password.js';
import { StoredPeppers } from './pepper.js';

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

/** Login limits (docs/reliability.md, "Login limits"): failures counted per window. */
export const LOGIN_WINDOW_SEC = 15 * 60;
export const MAX_FAILURES_PER_ID = 5;
export const DEFAULT_MAX_FAILURES_PER_ADDRESS = 1000;
/** How long Redis remembers that Postgres did not know a token. */
export const SESSION_MISS_TTL_SEC = 60;
/** Expired sessions deleted per periodic purge (one statement, so a purge stays short). */
export const SESSION_PURGE_BATCH = 5000;

/** Rows validated, or written, between two turns of the event loop. */
const REGISTRATION_SLICE = 500;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface CandidateOptions {
  maxFailuresPerAddress?: number;
  /** PASSWORD_PEPPER; unset → kept in Postgres. */
  pepper?: string;
  /** A pepper source of its own (tests). */
  peppers?: PepperSource;
  hashConcurrency?: number;
}

const LUA_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');
const LIMIT_SCRIPTS = {
  reserve: { file: 'limit-reserve', keys: 1 },
  release: { file: 'limit-release', keys: 1 },
} as const;

const wrongCredentials = () => new AppError('unauthenticated', '身份证号或密码错误 (wrong id number or password)');
const tooManyFailures = (ttl: number) =>
  new AppError('rate_limited', `登录失败次数过多，请 ${Math.ceil(ttl / 60)} 分钟后再试 (too many failed logins)`, {
    retryAfterSec: ttl,
  });

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
  readonly hasher: PasswordHasher;
  private readonly maxFailuresPerAddress: number;
  private readonly limitScript: (name: keyof typeof LIMIT_SCRIPTS, key: string, args: number[]) => Promise<unknown>;

  constructor(
    private readonly db: Db,
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly catalogue: Catalogue,
    private readonly sessionTtlSec: number,
    private readonly hotPath: HotPath,
    options: CandidateOptions = {},
  ) {
    this.hasher = new PasswordHasher(
      options.peppers ?? new StoredPeppers(db, options.pepper),
      new HashQueue(options.hashConcurrency ?? 2),
    );
    this.maxFailuresPerAddress = options.maxFailuresPerAddress ?? DEFAULT_MAX_FAILURES_PER_ADDRESS;
    const run = defineScripts(redis, LUA_DIR, 'dkLogin', LIMIT_SCRIPTS);
    this.limitScript = (name, key, args) => run(name, [key], args);
  }

  /** Registers or updates each row on its own: one bad row never blocks the others. */
  async register(cycleId: string, rows: unknown[]): Promise<RegistrationResult[]> {
    const [cycle] = await this.db.select({ cycleId: cycles.cycleId }).from(cycles).where(eq(cycles.cycleId, cycleId));
    if (!cycle) throw new AppError('not_found', `考核周期 ${cycleId} 不存在 (no such cycle)`);

    const results: RegistrationResult[] = [];
    const accepted: { row: Registration; index: number }[] = [];
    const seenIds = new Set<string>();
    const check = (raw: unknown, index: number) => {
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
    };
    // In slices, giving the event loop back between them: a sheet of thousands of rows must not
    // hold up the logins this process serves meanwhile.
    for (let index = 0; index < rows.length; index++) {
      if (index && index % REGISTRATION_SLICE === 0) await yieldToLoop();
      check(rows[index], index);
    }
    for (let i = 0; i < accepted.length; i += REGISTRATION_SLICE) {
      if (i) await yieldToLoop();
      await this.registerSlice(cycleId, accepted.slice(i, i + REGISTRATION_SLICE), results);
    }
    return results;
  }

  /** Writes one slice of accepted rows, and fills in their results. */
  private async registerSlice(
    cycleId: string,
    accepted: { row: Registration; index: number }[],
    results: RegistrationResult[],
  ): Promise<void> {
    const existing = await this.db
      .select({
        candidateId: candidates.candidateId,
        idNumber: candidates.idNumber,
        passwordHash: candidates.passwordHash,
      })
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
    const existingHashes = new Map(existing.map((e) => [e.idNumber, e.passwordHash]));

    // A generated password gets the fast keyed hash; a chosen one scrypt, through the hasher's
    // queue as bulk work (logins go first). A password given again for an existing candidate is
    // checked against the stored hash first: the same password changes nothing (and ends no
    // session) when a sheet is uploaded twice.
    const prepared = await Promise.all(
      accepted.map(async ({ row, index }) => {
        const isNew = !existingIds.has(row.idNumber);
        const generated = isNew && !row.password ? generatePassword() : undefined;
        let passwordHash: string | undefined;
        if (generated) passwordHash = await this.hasher.hashGenerated(generated);
        else if (row.password) {
          const old = existingHashes.get(row.idNumber);
          const same = old !== undefined && (await this.hasher.verify(row.password, old, 'bulk')).ok;
          if (!same) passwordHash = await this.hasher.hashChosen(row.password, 'bulk');
        }
        return { row, index, isNew, generated, passwordHash };
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
    await this.db
      .insert(candidates)
      .values(values)
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
    // A new password ends every session of that candidate.
    const changedPasswords = prepared
      .map((p, i) => (!p.isNew && p.passwordHash ? values[i]!.candidateId : undefined))
      .filter((id): id is string => id !== undefined);
    if (changedPasswords.length) await this.revokeSessions(changedPasswords);
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
  }

  /** Accepts a catalogue code, or a 报考专业 name as admins write it in a sheet. */
  private resolveSpecialty(value: string, delegatedTo: string | null): string {
    if (this.catalogue.byCode.has(value)) return value;
    const provider =
      delegatedTo === 'cosmetic' ? 'cosmetic' : delegatedTo === 'health-check' ? 'health-check' : 'general';
    const byName = this.catalogue.specialties.filter((s) => s.name === value);
    return (byName.find((s) => s.provider === provider) ?? byName[0])?.code ?? value;
  }

  /**
   * Every attempt is counted before its password is checked (an atomic reservation on the per-id
   * and the per-address counter, one key per command, so this runs unchanged on a Redis Cluster
   * where the two keys live in different slots). A wrong password keeps both counts; a right one
   * clears the per-id counter and gives the address its reservation back.
   */
  async login(idNumberRaw: string, password: string, address: string): Promise<SessionInfo> {
    const started = Date.now();
    const idNumber = idNumberRaw.trim().toUpperCase();
    const idKey = this.keys.loginFailures(idNumber);
    const addrKey = this.keys.loginFailuresByAddress(addressBucket(address));

    const byAddress = await this.reserve(addrKey, this.maxFailuresPerAddress);
    if (!byAddress.ok) throw tooManyFailures(byAddress.ttl);
    let byId: { ok: boolean; ttl: number };
    try {
      byId = await this.reserve(idKey, MAX_FAILURES_PER_ID);
    } catch (e) {
      await this.release(addrKey).catch(() => {});
      throw e;
    }
    if (!byId.ok) {
      await this.release(addrKey);
      throw tooManyFailures(byId.ttl);
    }

    let outcome: 'unknown' | 'wrong' | 'right' = 'unknown';
    try {
      // A person may be registered in several cycles (a re-exam cycle, say): an open cycle first, then the newest.
      const rows = await this.db
        .select({ candidateId: candidates.candidateId, passwordHash: candidates.passwordHash })
        .from(candidates)
        .innerJoin(cycles, eq(cycles.cycleId, candidates.cycleId))
        .where(eq(candidates.idNumber, idNumber))
        .orderBy(sql`(now() between ${cycles.opensAt} and ${cycles.closesAt}) desc`, sql`${cycles.opensAt} desc`);
      let match: (typeof rows)[number] | undefined;
      let slow = false;
      for (const r of rows) {
        const v = await this.hasher.verify(password, r.passwordHash, 'login');
        slow ||= v.slow;
        if (v.ok) {
          match = r;
          break;
        }
      }
      const session = match ? await this.createSession(match.candidateId, match.passwordHash) : null;
      if (!session) {
        outcome = 'wrong';
        if (!slow) await this.hasher.padFailure(started);
        throw wrongCredentials();
      }
      outcome = 'right';
      await Promise.all([this.hotPath.loggedIn(session.candidateId), this.purgeExpiredSessionsOf(session.candidateId)]);
      return session;
    } finally {
      if (outcome === 'right') await Promise.all([this.redis.del(idKey), this.release(addrKey)]);
      // Not a guess (the password was never compared: a full hash queue, Postgres down).
      else if (outcome === 'unknown') await Promise.all([this.release(idKey), this.release(addrKey)]).catch(() => {});
    }
  }

  private async reserve(key: string, limit: number): Promise<{ ok: boolean; ttl: number }> {
    const [ok, , ttl] = (await this.limitScript('reserve', key, [limit, LOGIN_WINDOW_SEC])) as number[];
    return { ok: ok === 1, ttl: Math.max(Number(ttl), 1) };
  }

  private async release(key: string): Promise<void> {
    await this.limitScript('release', key, []);
  }

  /**
   * A new session, unless the candidate's password changed since `passwordHash` was read (then
   * null). The Redis key is written first and the row inserted only while the hash is unchanged,
   * with the candidate row locked FOR SHARE: a registration changing the password either waits for
   * this insert and then deletes the row and its key, or has already changed the hash, so no
   * session made with an old password survives the change.
   */
  async createSession(candidateId: string, passwordHash: string): Promise<SessionInfo | null> {
    const token = `${candidateId}.${randomBytes(24).toString('base64url')}`;
    const tokenHash = hashToken(token);
    const expiresAt = new Date(Date.now() + this.sessionTtlSec * 1000);
    const key = this.keys.session(candidateId, tokenHash);
    await this.redis.set(key, '1', 'PXAT', expiresAt.getTime());
    try {
      const inserted = rowsOf(
        await this.db.execute(sql`
          insert into ${sessions} (token_hash, candidate_id, expires_at)
          select ${tokenHash}, c.candidate_id, ${expiresAt.toISOString()}::timestamptz
          from ${candidates} c
          where c.candidate_id = ${candidateId} and c.password_hash = ${passwordHash}
          for share of c
          returning token_hash`),
      );
      if (inserted.length) return { token, expiresAt, candidateId };
    } catch (e) {
      await this.redis.del(key).catch(() => {});
      throw e;
    }
    await this.redis.del(key);
    return null;
  }

  /**
   * The slow path of authentication, taken only when Redis does not know a session (expired, or
   * Redis lost its data): Postgres decides, and a valid session is put back into Redis. A token
   * Postgres does not know is remembered in Redis for a minute (a key of its own: delivery scripts
   * take EXISTS of the session key as valid), so a client repeating it costs no query.
   */
  async restoreSession(candidateId: string, tokenHash: string): Promise<boolean> {
    const missKey = this.keys.sessionMiss(candidateId, tokenHash);
    if (await this.redis.exists(missKey)) return false;
    const expiresAt = await this.findSession(candidateId, tokenHash);
    if (!expiresAt || expiresAt.getTime() <= Date.now()) {
      await this.redis.set(missKey, '1', 'EX', SESSION_MISS_TTL_SEC);
      return false;
    }
    await this.redis.set(this.keys.session(candidateId, tokenHash), '1', 'PXAT', expiresAt.getTime());
    return true;
  }

  /** The one Postgres lookup of a session (tests count its calls). */
  async findSession(candidateId: string, tokenHash: string): Promise<Date | undefined> {
    const [row] = await this.db
      .select({ expiresAt: sessions.expiresAt })
      .from(sessions)
      .where(and(eq(sessions.tokenHash, tokenHash), eq(sessions.candidateId, candidateId)));
    return row?.expiresAt;
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

  /** Ends every session of these candidates: their rows, and their Redis keys (one DEL per candidate's hash tag). */
  async revokeSessions(candidateIds: string[]): Promise<number> {
    let revoked = 0;
    for (let i = 0; i < candidateIds.length; i += 1000) {
      const gone = await this.db
        .delete(sessions)
        .where(inArray(sessions.candidateId, candidateIds.slice(i, i + 1000)))
        .returning({ candidateId: sessions.candidateId, tokenHash: sessions.tokenHash });
      revoked += gone.length;
      const byCandidate = new Map<string, string[]>();
      for (const g of gone) {
        const list = byCandidate.get(g.candidateId) ?? [];
        list.push(this.keys.session(g.candidateId, g.tokenHash));
        byCandidate.set(g.candidateId, list);
      }
      const pipeline = this.redis.pipeline();
      for (const keys of byCandidate.values())
        for (let k = 0; k < keys.length; k += 500) pipeline.del(...keys.slice(k, k + 500));
      if (byCandidate.size) await pipeline.exec();
    }
    return revoked;
  }

  /** A candidate's expired session rows (at login; Redis expires its keys itself). */
  private async purgeExpiredSessionsOf(candidateId: string): Promise<void> {
    await this.db
      .delete(sessions)
      .where(and(eq(sessions.candidateId, candidateId), lt(sessions.expiresAt, new Date())));
  }

  /** Deletes up to `limit` expired session rows of anyone; answers how many. */
  async purgeExpiredSessions(limit = SESSION_PURGE_BATCH): Promise<number> {
    const rows = rowsOf(
      await this.db.execute(sql`
        delete from ${sessions} where token_hash in (
          select token_hash from ${sessions} where expires_at < now() limit ${limit})
        returning 1`),
    );
    return rows.length;
  }

  /** Runs purgeExpiredSessions every `everyMs`, one bounded batch at a time. */
  startSessionPurge(everyMs: number, onError: (e: Error) => void): { stop(): void } {
    const timer = setInterval(() => void this.purgeExpiredSessions().catch(onError), everyMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/** Splits "<candidateId>.<secret>"; anything else is not a token of ours. */
export function parseToken(token: string): { candidateId: string; tokenHash: string } | null {
  const m = /^([0-9a-z]{6,32})\.[A-Za-z0-9_-]{20,64}$/.exec(token);
  return m ? { candidateId: m[1]!, tokenHash: hashToken(token) } : null;
}
