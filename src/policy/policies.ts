import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';
import { policySchema, type Policy } from './schema.js';

const BUILTIN_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'builtin');

/** The policies shipped with the engine, by id. Beijing is the default. */
export function loadBuiltinPolicies(dir = BUILTIN_DIR): Map<string, Policy> {
  const out = new Map<string, Policy>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const policy = policySchema.parse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    out.set(policy.id, policy);
  }
  return out;
}

/** A cycle names a built-in policy by id or carries a whole policy inline. */
export function resolvePolicy(
  builtins: Map<string, Policy>,
  ref: unknown,
): { policyId: string | null; policy: Policy } {
  if (typeof ref === 'string') {
    const policy = builtins.get(ref);
    if (!policy)
      throw new AppError(
        'validation_failed',
        `未知的考核政策 unknown policy "${ref}" (built in: ${[...builtins.keys()].join(', ')})`,
      );
    return { policyId: ref, policy };
  }
  const parsed = policySchema.safeParse(ref);
  if (!parsed.success) {
    const first = parsed.error.issues
      .slice(0, 5)
      .map((i) => `policy.${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new AppError('validation_failed', first, {
      errors: parsed.error.issues.map((i) => ({ path: ['policy', ...i.path].join('.'), message: i.message })),
    });
  }
  return { policyId: null, policy: parsed.data };
}
