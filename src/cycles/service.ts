// Exam cycles: a window and the policy that runs in it. Every API process holds all cycles in
// memory (they are few) and reloads one when told on the events channel.
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { cycles } from '../db/schema.js';
import { AppError } from '../errors.js';
import { resolvePolicy } from '../policy/policies.js';
import type { Policy } from '../policy/schema.js';
import { safeText } from '../text.js';

export const cycleIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'cycle ids are letters, digits, "_" and "-"');

export const cycleBodySchema = z
  .object({
    title: safeText(200, { trim: true }).min(1),
    opensAt: z.iso.datetime({ offset: true }),
    closesAt: z.iso.datetime({ offset: true }),
    policy: z.union([safeText(64).min(1), z.record(z.string(), z.unknown())]),
  })
  .strict();
export type CycleBody = z.infer<typeof cycleBodySchema>;

export interface Cycle {
  cycleId: string;
  title: string;
  opensAt: Date;
  closesAt: Date;
  policyId: string | null;
  policy: Policy;
}

export function cycleView(c: Cycle) {
  return {
    cycleId: c.cycleId,
    title: c.title,
    opensAt: c.opensAt.toISOString(),
    closesAt: c.closesAt.toISOString(),
    policyId: c.policyId,
    policy: c.policy,
  };
}

export class CycleService {
  private byId = new Map<string, Cycle>();

  constructor(
    private readonly db: Db,
    private readonly builtins: Map<string, Policy>,
    private readonly onChanged: (cycleId: string) => Promise<void> = async () => {},
  ) {}

  get(cycleId: string): Cycle | undefined {
    return this.byId.get(cycleId);
  }

  all(): Cycle[] {
    return [...this.byId.values()];
  }

  async upsert(cycleId: string, body: CycleBody): Promise<{ cycle: Cycle; created: boolean }> {
    const opensAt = new Date(body.opensAt);
    const closesAt = new Date(body.closesAt);
    if (!(opensAt < closesAt))
      throw new AppError('validation_failed', 'opensAt 必须早于 closesAt (opensAt must be before closesAt)');
    const { policyId, policy } = resolvePolicy(this.builtins, body.policy);
    const now = new Date();
    const [row] = await this.db
      .insert(cycles)
      .values({ cycleId, title: body.title, opensAt, closesAt, policyId, policy, updatedAt: now })
      .onConflictDoUpdate({
        target: cycles.cycleId,
        set: { title: body.title, opensAt, closesAt, policyId, policy, updatedAt: now },
      })
      .returning();
    const cycle = toCycle(row!);
    this.byId.set(cycleId, cycle);
    await this.onChanged(cycleId);
    return { cycle, created: row!.createdAt.getTime() === row!.updatedAt.getTime() };
  }

  /** Reloads one cycle, or all of them. */
  async refresh(cycleId?: string): Promise<void> {
    const rows = await (cycleId
      ? this.db.select().from(cycles).where(eq(cycles.cycleId, cycleId))
      : this.db.select().from(cycles));
    if (!cycleId) this.byId.clear();
    for (const r of rows) this.byId.set(r.cycleId, toCycle(r));
  }
}

function toCycle(r: typeof cycles.$inferSelect): Cycle {
  return {
    cycleId: r.cycleId,
    title: r.title,
    opensAt: r.opensAt,
    closesAt: r.closesAt,
    policyId: r.policyId,
    policy: r.policy as Policy,
  };
}
