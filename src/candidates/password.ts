// Password hashes, in two kinds; the stored string says which:
//   "scrypt$N$r$p$salt$hash"     — a password someone chose (base64url salt and hash). The cost is
//                                  part of the string, so hashes written with an older, lower cost
//                                  (N=16384) still verify after the cost is raised.
//   "hmac$kid$salt$mac"          — a password the engine generated (generatePassword, ≥ 96 bits of
//                                  entropy): HMAC-SHA256 keyed by a server secret (the pepper) whose
//                                  id is `kid`. A random 96-bit secret needs no slow hash, and a
//                                  registration of thousands of rows then costs milliseconds.
// scrypt runs on libuv's thread pool, which the whole process shares; every scrypt goes through a
// HashQueue, a small concurrency limit with two priorities, so that a registration of thousands of
// rows cannot starve logins (or anything else on the pool).
import {
  createHash,
  createHmac,
  randomBytes,
  scrypt as scryptCb,
  timingSafeEqual,
  type ScryptOptions,
} from 'node:crypto';
import { customAlphabet } from 'nanoid';
import { AppError } from '../errors.js';

const scryptAsync = (pw: string, salt: Buffer, len: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(pw, salt, len, opts, (e, k) => (e ? reject(e) : resolve(k))));

/** OWASP Password Storage Cheat Sheet (2023–): scrypt N=2^17, r=8, p=1 (128 MiB per hash). */
export const SCRYPT_COST = { N: 1 << 17, r: 8, p: 1 } as const;
const KEY_LEN = 32;
/** The most memory a stored hash may ask for; anything above is not a hash of ours. */
const MAX_SCRYPT_MEM = 512 * 1024 * 1024;

/** What OpenSSL's scrypt allocates for these parameters, plus room: the `maxmem` to pass. */
export function scryptMaxmem(N: number, r: number, p: number): number {
  return 128 * r * (N + 2) + 128 * r * p + 1024 * 1024;
}

function parseScrypt(stored: string) {
  const [alg, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (alg !== 'scrypt' || rest.length || !salt || !hash) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const ok =
    Number.isSafeInteger(cost.N) &&
    cost.N >= 2 &&
    (cost.N & (cost.N - 1)) === 0 &&
    Number.isSafeInteger(cost.r) &&
    cost.r >= 1 &&
    cost.r <= 64 &&
    Number.isSafeInteger(cost.p) &&
    cost.p >= 1 &&
    cost.p <= 16 &&
    scryptMaxmem(cost.N, cost.r, cost.p) <= MAX_SCRYPT_MEM;
  if (!ok) return null;
  const want = Buffer.from(hash, 'base64url');
  if (want.length < 16 || want.length > 64) return null;
  return { cost, salt: Buffer.from(salt, 'base64url'), want };
}

// ---------------------------------------------------------------- the queue

export type HashPriority = 'login' | 'bulk';

interface Waiting {
  run(): void;
}

/**
 * At most `concurrency` scrypt computations at a time. Logins go first; bulk work (registration)
 * may hold at most `concurrency - 1` slots (at least one), so a login finds a slot free unless
 * other logins hold them. Logins waiting beyond `maxLoginWaiting` are refused at once
 * (`rate_limited` with Retry-After): a login that would wait half a minute is better retried.
 */
export class HashQueue {
  private running = { login: 0, bulk: 0 };
  private readonly waiting: Record<HashPriority, Waiting[]> = { login: [], bulk: [] };
  /** Recent wall time of one computation, ms (for Retry-After). */
  private typicalMs = 500;

  constructor(
    readonly concurrency = 2,
    readonly maxLoginWaiting = 64 * concurrency,
  ) {
    if (!(concurrency >= 1)) throw new Error('HashQueue: concurrency must be at least 1');
  }

  get stats() {
    return {
      running: this.running.login + this.running.bulk,
      waitingLogin: this.waiting.login.length,
      waitingBulk: this.waiting.bulk.length,
    };
  }

  run<T>(priority: HashPriority, task: () => Promise<T>): Promise<T> {
    if (priority === 'login' && this.waiting.login.length >= this.maxLoginWaiting && !this.canStart('login')) {
      const sec = Math.max(1, Math.ceil((this.waiting.login.length * this.typicalMs) / this.concurrency / 1000));
      return Promise.reject(
        new AppError('rate_limited', `登录人数较多，请 ${sec} 秒后再试 (too many logins at once, retry shortly)`, {
          retryAfterSec: sec,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const job: Waiting = {
        run: () => {
          this.running[priority]++;
          const started = Date.now();
          task()
            .then(resolve, reject)
            .finally(() => {
              this.typicalMs = 0.8 * this.typicalMs + 0.2 * (Date.now() - started);
              this.running[priority]--;
              this.next();
            });
        },
      };
      this.waiting[priority].push(job);
      this.next();
    });
  }

  private canStart(priority: HashPriority): boolean {
    const total = this.running.login + this.running.bulk;
    if (total >= this.concurrency) return false;
    return priority === 'login' || this.running.bulk < Math.max(1, this.concurrency - 1);
  }

  private next() {
    for (;;) {
      if (this.waiting.login.length && this.canStart('login')) this.waiting.login.shift()!.run();
      else if (this.waiting.bulk.length && this.canStart('bulk')) this.waiting.bulk.shift()!.run();
      else return;
    }
  }
}

/** The process's one scrypt queue (the libuv pool is per process too). */
export const defaultHashQueue = new HashQueue(2);

// ---------------------------------------------------------------- peppers

/** A server secret for the hashes of generated passwords. */
export interface Pepper {
  /** A short id stored in each hash (not secret: a digest of the key). */
  id: string;
  key: Buffer;
}
export interface PepperSource {
  /** The pepper new hashes use. */
  current(): Promise<Pepper>;
  /** The pepper a stored hash names, when this engine still has it. */
  byId(id: string): Promise<Pepper | undefined>;
}

export function pepperOf(key: Buffer): Pepper {
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 8), key };
}

/** A fixed set of peppers; the first is current. */
export function staticPeppers(...keys: Buffer[]): PepperSource {
  const all = keys.map(pepperOf);
  if (!all.length) throw new Error('staticPeppers: at least one key');
  return { current: async () => all[0]!, byId: async (id) => all.find((p) => p.id === id) };
}

const hmac = (key: Buffer, salt: Buffer, password: string) =>
  createHmac('sha256', key).update(salt).update(password, 'utf8').digest();

// ---------------------------------------------------------------- hashing and verifying

export type HashKind = 'scrypt' | 'hmac';

export function hashKind(stored: string): HashKind | null {
  return stored.startsWith('scrypt$') ? 'scrypt' : stored.startsWith('hmac$') ? 'hmac' : null;
}

export interface VerifyResult {
  ok: boolean;
  /** Whether a scrypt ran (a failed login without one is padded to the same time by the caller). */
  slow: boolean;
}

export class PasswordHasher {
  /** Recent wall time of a login's scrypt (queue wait included), ms; unknown until one ran. */
  private typicalLoginMs: number | undefined;
  private calibration: Promise<void> | undefined;
  private readonly dummy: string;

  constructor(
    private readonly peppers: PepperSource,
    private readonly queue: HashQueue = defaultHashQueue,
    private readonly cost: { N: number; r: number; p: number } = SCRYPT_COST,
  ) {
    this.dummy = ['scrypt', cost.N, cost.r, cost.p, 'A'.repeat(22), 'A'.repeat(43)].join('$');
  }

  /** A chosen password: scrypt at the current cost, as bulk work. */
  async hashChosen(password: string, priority: HashPriority = 'bulk'): Promise<string> {
    const salt = randomBytes(16);
    const { N, r, p } = this.cost;
    const key = await this.queue.run(priority, () =>
      scryptAsync(password, salt, KEY_LEN, { N, r, p, maxmem: scryptMaxmem(N, r, p) }),
    );
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** A password from generatePassword: the keyed fast hash. Never use it for a chosen password. */
  async hashGenerated(password: string): Promise<string> {
    const pepper = await this.peppers.current();
    const salt = randomBytes(16);
    return ['hmac', pepper.id, salt.toString('base64url'), hmac(pepper.key, salt, password).toString('base64url')].join(
      '$',
    );
  }

  async verify(password: string, stored: string, priority: HashPriority = 'login'): Promise<VerifyResult> {
    if (hashKind(stored) === 'hmac') {
      const [, kid, salt, mac, ...rest] = stored.split('$');
      if (rest.length || !kid || !salt || !mac) return { ok: false, slow: false };
      const pepper = await this.peppers.byId(kid);
      if (!pepper) return { ok: false, slow: false };
      const want = Buffer.from(mac, 'base64url');
      const got = hmac(pepper.key, Buffer.from(salt, 'base64url'), password);
      return { ok: got.length === want.length && timingSafeEqual(got, want), slow: false };
    }
    const parsed = parseScrypt(stored);
    if (!parsed) return { ok: false, slow: false };
    const { cost, salt, want } = parsed;
    const started = Date.now();
    const got = await this.queue.run(priority, () =>
      scryptAsync(password, salt, want.length, { ...cost, maxmem: scryptMaxmem(cost.N, cost.r, cost.p) }),
    );
    if (priority === 'login') {
      const ms = Date.now() - started;
      this.typicalLoginMs = this.typicalLoginMs === undefined ? ms : 0.8 * this.typicalLoginMs + 0.2 * ms;
    }
    return { ok: got.length === want.length && timingSafeEqual(got, want), slow: true };
  }

  /**
   * Makes a failed login that ran no scrypt (an unknown id number, a wrong generated password) take
   * about as long as one that did, by waiting rather than computing: the answer time does not tell
   * which id numbers are registered, and an unknown id costs no CPU. Until a login's scrypt has
   * been timed, a real one runs.
   */
  async padFailure(startedAt: number): Promise<void> {
    if (this.typicalLoginMs === undefined) {
      // One real scrypt times it; failures meanwhile wait for that one rather than each running one.
      const calibration = (this.calibration ??= this.verify('-', this.dummy, 'login').then(
        () => undefined,
        () => void (this.calibration = undefined),
      ));
      await calibration;
      if (this.typicalLoginMs === undefined) return;
    }
    const wait = this.typicalLoginMs - (Date.now() - startedAt);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * A scrypt hash at the current cost, outside any engine (loadtest/setup.ts writes registrations
 * straight into Postgres with it).
 */
export async function hashPassword(password: string): Promise<string> {
  return new PasswordHasher(staticPeppers(randomBytes(32))).hashChosen(password);
}

/**
 * A password an admin can read out over the phone: no 0/O, 1/l/I. 17 characters of 55 are
 * 98 bits of entropy, which is what lets its hash be the fast keyed one.
 */
export const GENERATED_PASSWORD_LENGTH = 17;
const GENERATED_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
export const generatePassword = customAlphabet(GENERATED_ALPHABET, GENERATED_PASSWORD_LENGTH);
export const GENERATED_PASSWORD_BITS = GENERATED_PASSWORD_LENGTH * Math.log2(GENERATED_ALPHABET.length);
