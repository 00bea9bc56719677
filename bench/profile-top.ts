// Top self-time items of a V8 CPU profile (node --cpu-prof), as the lead reads them before optimising.
//   npx tsx bench/profile-top.ts bench/profiles/<file>.cpuprofile [--top 30] [--by function|file|package]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export function topSelf(profile: Profile, by: 'function' | 'file' | 'package' = 'function', top = 30) {
  // Self time per node from the samples and their time deltas (hitCount alone ignores unequal intervals).
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // "(idle)" is the event loop waiting: left out, so that percentages are of the time the thread worked.
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  for (let i = 0; i < samples.length; i++) {
    if (idle.has(samples[i]!)) continue;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const groups = new Map<string, number>();
  const short = (url: string) =>
    url
      .replace(/^file:\/\//, '')
      .replace(/^.*?\/(node_modules\/)/, '$1')
      .replace(/^.*?\/(src\/)/, '$1');
  const pkg = (url: string) => {
    if (!url) return '(native/V8)';
    if (url.startsWith('node:')) return 'node core';
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    return m ? m[1]! : /\/src\//.test(url) ? 'engine src/' : url;
  };
  for (const n of profile.nodes) {
    const t = self.get(n.id);
    if (!t) continue;
    const f = n.callFrame;
    const name = f.functionName || '(anonymous)';
    const key =
      by === 'package'
        ? pkg(f.url)
        : by === 'file'
          ? short(f.url) || name
          : `${name}  ${short(f.url)}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    groups.set(key, (groups.get(key) ?? 0) + t);
  }
  const rows = [...groups].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { totalMs: total / 1000, rows: rows.map(([key, us]) => ({ key, ms: us / 1000, pct: (us / total) * 100 })) };
}

/** Who calls `name`: its self time by the nearest caller that is engine or package code (not node core). */
export function callersOf(profile: Profile, name: string, top = 15) {
  const parent = new Map<number, Node>();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++)
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
  const groups = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    if (n.callFrame.functionName !== name || !self.get(n.id)) continue;
    let p = parent.get(n.id);
    while (p && !/node_modules|\/src\//.test(p.callFrame.url)) p = parent.get(p.id);
    const key = p
      ? `${p.callFrame.functionName || '(anonymous)'}  ${p.callFrame.url.replace(/^.*?\/(node_modules\/|src\/)/, '$1')}:${p.callFrame.lineNumber + 1}`
      : '(no package frame)';
    groups.set(key, (groups.get(key) ?? 0) + self.get(n.id)!);
    total += self.get(n.id)!;
  }
  void byId;
  return [...groups]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, us]) => ({ key, ms: us / 1000, pct: (us / total) * 100 }));
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: 'string', default: '30' },
      by: { type: 'string', default: 'function' },
      callers: { type: 'string' },
    },
    allowPositionals: true,
  });
  // A folder (one per process, as bench/run.ts --cpu-prof writes them): its largest profile, the main thread's.
  const files = positionals.map((p) => {
    if (!statSync(p).isDirectory()) return p;
    const all = readdirSync(p)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(p, f));
    return all.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  });
  for (const file of files) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
    if (values.callers) {
      process.stdout.write(`${file}: callers of ${values.callers}\n`);
      for (const row of callersOf(profile, values.callers, Number(values.top)))
        process.stdout.write(`${row.pct.toFixed(1).padStart(6)}%  ${row.ms.toFixed(0).padStart(8)} ms  ${row.key}\n`);
      continue;
    }
    const r = topSelf(profile, values.by as 'function', Number(values.top));
    process.stdout.write(
      `${file}: ${(r.totalMs / 1000).toFixed(1)} s of busy main-thread time sampled (idle left out)\n`,
    );
    for (const row of r.rows)
      process.stdout.write(`${row.pct.toFixed(1).padStart(6)}%  ${row.ms.toFixed(0).padStart(8)} ms  ${row.key}\n`);
  }
}
