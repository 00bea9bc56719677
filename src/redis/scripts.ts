// The one Lua script loader of the engine. Scripts are registered with ioredis' defineCommand
// (EVALSHA, falling back to EVAL once after a Redis restart), each as an optional shared library
// followed by its own body.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

export interface ScriptSpec {
  /** File name in the directory, without ".lua". */
  file: string;
  keys: number;
}

/** A script's raw reply: ['ok', …] or ['err', code, detail?]. Typed wrappers decode it. */
export type RawReply = [string, ...unknown[]];

export type ScriptRunner<N extends string> = (name: N, keys: string[], args: (string | number)[]) => Promise<RawReply>;

/**
 * Defines the scripts of `dir` on a connection, under `<namespace><Name>`, and returns one runner
 * for them. `lib` (a file of the same directory) is prepended to every script.
 */
export function defineScripts<N extends string>(
  redis: Redis,
  dir: string,
  namespace: string,
  specs: Record<N, ScriptSpec>,
  lib?: string,
): ScriptRunner<N> {
  const read = (file: string) => readFileSync(path.join(dir, `${file}.lua`), 'utf8');
  const prefix = lib ? `${read(lib)}\n` : '';
  const commands = {} as Record<N, string>;
  for (const name of Object.keys(specs) as N[]) {
    const command = `${namespace}${name[0]!.toUpperCase()}${name.slice(1)}`;
    commands[name] = command;
    if (!(command in redis))
      redis.defineCommand(command, { numberOfKeys: specs[name].keys, lua: prefix + read(specs[name].file) });
  }
  const r = redis as unknown as Record<string, (...a: (string | number)[]) => Promise<RawReply>>;
  return (name, keys, args) => r[commands[name]]!(...keys, ...args);
}
