// Environment, parsed once (DESIGN §3). Internal knobs beyond the contract have safe defaults.
import { z } from 'zod';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  /** Where the embedded PGlite keeps its files when DATABASE_URL is unset. */
  DATA_DIR: z.string().default('./data'),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  /** Prepended to every Redis key and queue (tests give each run its own). */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]*$/)
    .default(''),
  ADMIN_TOKEN: z.string().min(16).optional(),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  ANSWER_GRACE_MS: z.coerce.number().int().min(0).max(120_000).default(3000),
  /** How often tries in progress are checkpointed to Postgres. */
  CHECKPOINT_MS: z.coerce.number().int().min(100).default(5000),
  /** Backstop sweep for deadlines whose job was lost. */
  SWEEP_MS: z.coerce.number().int().min(100).default(30_000),
  SESSION_TTL_SEC: z.coerce
    .number()
    .int()
    .min(60)
    .default(12 * 3600),
  /** Seed the demo cycle and candidate at start-up. */
  DEMO: bool.default(true),
  /** Load question-banks/*.json at start-up (new content only: publishing is idempotent). */
  LOAD_SHIPPED_BANKS: bool.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(50),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Behind a reverse proxy: count logins by the address it appended (the rightmost X-Forwarded-For entry). */
  TRUST_PROXY: bool.default(false),
  /** A request whose headers and body have not arrived after this long is answered 408 and closed. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** The same for the headers alone; at most REQUEST_TIMEOUT_MS. */
  HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  /**
   * Failed logins one address may make in 15 minutes. High on purpose: a hospital of 2,000 doctors
   * behind one NAT address, a few percent of them mistyping, must never trip it (docs/reliability.md).
   */
  LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** The key of generated passwords' hashes; unset → 32 random bytes made once and kept in Postgres. */
  PASSWORD_PEPPER: z.string().min(32, 'at least 32 characters').optional(),
  /** scrypt computations at a time per process (logins first; registration takes at most all but one). */
  PASSWORD_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
});

export type Config = z.infer<typeof envSchema>;

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function stripEmpty(env: Record<string, string | undefined>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}
