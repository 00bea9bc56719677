// The server secret of generated passwords' hashes (see password.ts): PASSWORD_PEPPER when set,
// otherwise 32 random bytes made once and kept in Postgres (`settings`), so that every process and
// every restart use the same one. Hashes name their pepper by id, so a pepper kept in Postgres
// still verifies the hashes it made after PASSWORD_PEPPER is set later.
import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { settings } from '../db/schema.js';
import { pepperOf, type Pepper, type PepperSource } from './password.js';

const SETTING = 'password_pepper';

export class StoredPeppers implements PepperSource {
  private readonly fromEnv: Pepper | undefined;
  private stored: Promise<Pepper | undefined> | undefined;

  constructor(
    private readonly db: Db,
    envPepper?: string,
  ) {
    this.fromEnv = envPepper ? pepperOf(Buffer.from(envPepper, 'utf8')) : undefined;
  }

  async current(): Promise<Pepper> {
    if (this.fromEnv) return this.fromEnv;
    return (await this.load(true))!;
  }

  async byId(id: string): Promise<Pepper | undefined> {
    if (this.fromEnv?.id === id) return this.fromEnv;
    const stored = await this.load(false);
    return stored?.id === id ? stored : undefined;
  }

  /** Reads the stored pepper (once found, kept); `create` makes it when there is none (the first writer wins). */
  private async load(create: boolean): Promise<Pepper | undefined> {
    const known = await this.stored?.catch(() => undefined);
    if (known) return known;
    const p = (async () => {
      if (create)
        await this.db
          .insert(settings)
          .values({ key: SETTING, value: randomBytes(32).toString('base64url') })
          .onConflictDoNothing();
      const [row] = await this.db.select({ value: settings.value }).from(settings).where(eq(settings.key, SETTING));
      return row ? pepperOf(Buffer.from(row.value, 'base64url')) : undefined;
    })();
    this.stored = p;
    return p;
  }
}
