// The closed-loop generator of the throughput ratio, run in a process of its own (so it shares an
// event loop with neither server): `connections` loops, each with one request in flight on its own
// keep-alive connection, sending the next as soon as the last is answered. The same generator, with
// the same requests and connection count, measures the bare server and the engine.
import { createHistogram, performance } from 'node:perf_hooks';
import { Pool } from 'undici';

export interface GenRequest {
  /** Index into targets. */
  target: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}
export interface GenConfig {
  targets: string[];
  connections: number;
  warmupMs: number;
  durationMs: number;
  requests: GenRequest[];
}
export interface GenResult {
  requests: number;
  rps: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  p50Ms: number;
  p99Ms: number;
  durationMs: number;
  /** CPU the generator itself used over the whole run (warm-up included), ms. */
  cpuMs: number;
  wallMs: number;
}

export async function closedLoop(cfg: GenConfig, mark: (at: 'start' | 'end') => void = () => {}): Promise<GenResult> {
  const perTarget = Math.max(1, Math.floor(cfg.connections / cfg.targets.length));
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const pools = cfg.targets.map(
    (t) => new Pool(t, { connections: perTarget, pipelining: 1, keepAliveTimeout: 60_000 }),
  );
  const byTarget = cfg.targets.map((_, t) => cfg.requests.filter((r) => r.target === t));
  const hist = createHistogram();
  let counting = false;
  let stop = false;
  let requests = 0;
  let errors = 0;
  const errorsByStatus: Record<string, number> = {};
  const loops = Array.from({ length: perTarget * cfg.targets.length }, async (_, k) => {
    const t = k % cfg.targets.length;
    const list = byTarget[t]!;
    let j = Math.floor((k / cfg.targets.length) * (list.length / perTarget)) % list.length;
    while (!stop) {
      const r = list[j]!;
      j = (j + 1) % list.length;
      const t0 = performance.now();
      let status = 0;
      try {
        const res = await pools[t]!.request({
          method: r.method as 'PUT',
          path: r.path,
          headers: r.headers,
          body: r.body,
        });
        status = res.statusCode;
        await res.body.dump();
      } catch (e) {
        status = 0;
        if (counting)
          errorsByStatus[(e as { code?: string }).code ?? 'network'] =
            (errorsByStatus[(e as { code?: string }).code ?? 'network'] ?? 0) + 1;
      }
      if (!counting) continue;
      requests++;
      hist.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      if (status < 200 || status >= 300) {
        errors++;
        if (status) errorsByStatus[String(status)] = (errorsByStatus[String(status)] ?? 0) + 1;
      }
    }
  });
  await new Promise((r) => setTimeout(r, cfg.warmupMs));
  counting = true;
  mark('start');
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, cfg.durationMs));
  counting = false;
  mark('end');
  const durationMs = performance.now() - t0;
  stop = true;
  await Promise.all(loops);
  await Promise.all(pools.map((p) => p.close()));
  return {
    requests,
    rps: Math.round((requests / durationMs) * 1000),
    errors,
    errorsByStatus,
    p50Ms: Math.round(hist.percentile(50) / 10) / 100,
    p99Ms: Math.round(hist.percentile(99) / 10) / 100,
    durationMs: Math.round(durationMs),
    cpuMs: Math.round((process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000),
    wallMs: Math.round(performance.now() - wall0),
  };
}

// As a child process: one config in, one result out.
if (typeof process.send === 'function') {
  process.once('message', (cfg: GenConfig) => {
    closedLoop(cfg, (at) => process.send!({ type: 'mark', at })).then(
      (result) => process.send!({ type: 'result', result }, () => process.exit(0)),
      (e: Error) => process.send!({ type: 'error', error: e.stack ?? String(e) }, () => process.exit(1)),
    );
  });
}
