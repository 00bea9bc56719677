// Start-up content: the shipped banks, and a demo cycle that is open now with one candidate.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BankStore, FitCheck } from './banks/store.js';
import { checkCharacter } from './candidates/id-number.js';
import type { CandidateService } from './candidates/service.js';
import type { CycleService } from './cycles/service.js';
import { AppError } from './errors.js';
import type { Log } from './log.js';

export const BANKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../question-banks');

/** Publishes every question-banks/*.json (not the catalogue); unchanged content is a no-op. */
export async function loadShippedBanks(banks: BankStore, fit: FitCheck, log: Log, dir = BANKS_DIR) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'catalogue.json')
    .sort();
  for (const file of files) {
    try {
      const r = await banks.publish(JSON.parse(readFileSync(path.join(dir, file), 'utf8')), { fitCheck: fit });
      if (r.created)
        log('bank published', {
          bankId: r.bankId,
          version: r.version,
          questions: r.questions,
          warnings: r.warnings.length,
        });
    } catch (e) {
      const detail = e instanceof AppError ? `${e.code}: ${e.detail}` : (e as Error).message;
      log('shipped bank not loaded', { file, error: detail }, 'warn');
    }
  }
}

export const DEMO = {
  cycleId: 'demo',
  idNumber: `11010519800101001${checkCharacter('11010519800101001')}`,
  password: 'demo-2026-neike',
  name: '张明（演示考生）',
} as const;

/** A cycle open from an hour ago for 30 days, and one 内科 candidate with a known password. */
export async function seedDemo(cycles: CycleService, candidates: CandidateService) {
  const now = Date.now();
  const existing = cycles.get(DEMO.cycleId);
  await cycles.upsert(DEMO.cycleId, {
    title: '演示周期：北京市医师定期考核 业务水平测评',
    opensAt: new Date(Math.min(existing?.opensAt.getTime() ?? Infinity, now - 3600_000)).toISOString(),
    closesAt: new Date(now + 30 * 24 * 3600_000).toISOString(),
    policy: 'beijing',
  });
  const [result] = await candidates.register(DEMO.cycleId, [
    {
      idNumber: DEMO.idNumber,
      name: DEMO.name,
      category: '临床',
      scopes: ['内科专业'],
      level: 'physician',
      specialty: 'internal-medicine',
      password: DEMO.password,
    },
  ]);
  if (result?.status === 'rejected') throw new Error(`demo candidate rejected: ${result.code} ${result.detail}`);
  return DEMO;
}
