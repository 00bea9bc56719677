// Loads the delivery Lua scripts once per connection (EVALSHA through ioredis defineCommand).
// Each script is lib.lua + its own body, so the state machine's rules are written once.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lua');
const read = (name: string) => readFileSync(path.join(DIR, `${name}.lua`), 'utf8');

const SCRIPTS = {
  dkSave: 5,
  dkView: 5,
  dkSubmit: 5,
  dkPrepare: 3,
  dkStart: 6,
  dkSettle: 6,
  dkHydrate: 2,
  dkRestore: 6,
  dkRelease: 1,
} as const;
const FILES: Record<keyof typeof SCRIPTS, string> = {
  dkSave: 'save',
  dkView: 'view',
  dkSubmit: 'submit',
  dkPrepare: 'prepare',
  dkStart: 'start',
  dkSettle: 'settle',
  dkHydrate: 'hydrate',
  dkRestore: 'restore',
  dkRelease: 'release',
};

export type ScriptName = keyof typeof SCRIPTS;
/** A script's raw reply: ['ok', …] or ['err', code, detail?]. */
export type Reply = [string, ...unknown[]];

export interface DeliveryScripts {
  run(name: ScriptName, keys: string[], args: (string | number)[]): Promise<Reply>;
}

export function loadScripts(redis: Redis): DeliveryScripts {
  const lib = read('lib');
  for (const [name, numberOfKeys] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, { numberOfKeys, lua: `${lib}\n${read(FILES[name as ScriptName])}` });
  }
  const r = redis as unknown as Record<ScriptName, (...a: (string | number)[]) => Promise<Reply>>;
  return {
    run: (name, keys, args) => r[name](...keys, ...args),
  };
}
