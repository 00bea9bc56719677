import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  GENERATED_PASSWORD_BITS,
  HashQueue,
  PasswordHasher,
  SCRYPT_COST,
  generatePassword,
  hashKind,
  hashPassword,
  staticPeppers,
} from './password.js';

/** A low cost for the tests that are about the format, not the cost. */
const CHEAP = { N: 1024, r: 8, p: 1 };
const key = randomBytes(32);
const hasher = new PasswordHasher(staticPeppers(key), new HashQueue(2), CHEAP);

describe('password hashes', () => {
  it('hashes chosen passwords with scrypt at the OWASP cost, its parameters in the string', async () => {
    expect(SCRYPT_COST).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const stored = await hashPassword('correct-horse-battery');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    const real = new PasswordHasher(staticPeppers(key));
    expect(await real.verify('correct-horse-battery', stored)).toEqual({ ok: true, slow: true });
  });

  it('still verifies hashes written with the old cost (N=16384)', async () => {
    // Written by the engine before the cost was raised.
    const old = 'scrypt$16384$8$1$49wLvqiko77N8V_k3dEYEQ$fbmyghulgupFquUNfPmUal-CZX3_27_E1_X_IPc4NdE';
    expect((await hasher.verify('correct-horse-battery', old)).ok).toBe(true);
    expect((await hasher.verify('correct-horse-batterY', old)).ok).toBe(false);
  });

  it('hashes generated passwords with the keyed fast hash, and verifies both kinds', async () => {
    const pw = generatePassword();
    const fast = await hasher.hashGenerated(pw);
    expect(hashKind(fast)).toBe('hmac');
    expect(fast).toMatch(/^hmac\$[\w-]{8}\$[\w-]{22}\$[\w-]{43}$/);
    expect(await hasher.verify(pw, fast)).toEqual({ ok: true, slow: false });
    expect(await hasher.verify(pw + 'x', fast)).toEqual({ ok: false, slow: false });
    const slow = await hasher.hashChosen('a chosen one');
    expect(hashKind(slow)).toBe('scrypt');
    expect((await hasher.verify('a chosen one', slow)).ok).toBe(true);
  });

  it('a hash made with another pepper does not verify; an older pepper still does', async () => {
    const pw = generatePassword();
    const made = await hasher.hashGenerated(pw);
    expect((await new PasswordHasher(staticPeppers(randomBytes(32))).verify(pw, made)).ok).toBe(false);
    const rotated = new PasswordHasher(staticPeppers(randomBytes(32), key));
    expect((await rotated.verify(pw, made)).ok).toBe(true);
  });

  it('refuses malformed or oversized stored hashes without computing', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$16384$8$1$$',
      'scrypt$16383$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'hmac$nope$AAAA$AAAA',
      'hmac$a$b$c$d',
    ])
      expect(await hasher.verify('x', stored)).toEqual({ ok: false, slow: false });
  });

  it('generated passwords have at least 96 bits of entropy and no look-alike characters', () => {
    expect(GENERATED_PASSWORD_BITS).toBeGreaterThanOrEqual(96);
    const pw = generatePassword();
    expect(pw).toMatch(/^[2-9a-km-np-zA-HJ-NP-Z]{17}$/);
  });
});

describe('HashQueue', () => {
  /** A task that finishes when the test says so. */
  function gate() {
    let open!: () => void;
    const done = new Promise<void>((r) => (open = r));
    return { open, task: () => done };
  }
  const tick = () => new Promise((r) => setImmediate(r));

  it('runs at most `concurrency` tasks, bulk work in all slots but one, logins first', async () => {
    const q = new HashQueue(2);
    const order: string[] = [];
    const gates = Array.from({ length: 4 }, gate);
    const bulk = gates.slice(0, 3).map((g, i) => q.run('bulk', () => (order.push(`bulk${i}`), g.task())));
    await tick();
    // Bulk work holds one slot of two.
    expect(q.stats).toEqual({ running: 1, waitingLogin: 0, waitingBulk: 2 });
    const login = q.run('login', () => (order.push('login'), gates[3]!.task()));
    await tick();
    // The login took the free slot at once, ahead of the waiting bulk work.
    expect(order).toEqual(['bulk0', 'login']);
    expect(q.stats.running).toBe(2);
    gates[3]!.open();
    await login;
    gates[0]!.open();
    await bulk[0];
    await tick();
    expect(order).toEqual(['bulk0', 'login', 'bulk1']);
    gates[1]!.open();
    gates[2]!.open();
    await Promise.all(bulk);
    expect(q.stats).toEqual({ running: 0, waitingLogin: 0, waitingBulk: 0 });
  });

  it('a waiting login goes before waiting bulk work', async () => {
    const q = new HashQueue(1);
    const order: string[] = [];
    const first = gate();
    const running = q.run('bulk', () => (order.push('bulk0'), first.task()));
    const later = [
      q.run('bulk', async () => void order.push('bulk1')),
      q.run('login', async () => void order.push('login')),
    ];
    first.open();
    await Promise.all([running, ...later]);
    expect(order).toEqual(['bulk0', 'login', 'bulk1']);
  });

  it('refuses logins beyond its waiting bound with rate_limited', async () => {
    const q = new HashQueue(1, 2);
    const g = gate();
    const held = [q.run('login', g.task), q.run('login', g.task), q.run('login', g.task)];
    const refused = await q.run('login', g.task).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('rate_limited');
    expect((refused as AppError).extra?.retryAfterSec).toBeGreaterThan(0);
    g.open();
    await Promise.all(held);
  });
});
