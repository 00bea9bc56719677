// Bank health at publish: a bank that open cycles draw from must be able to fill their sections.
import type { Catalogue } from '../catalogue/catalogue.js';
import type { CycleService } from '../cycles/service.js';
import { drawSection } from './draw.js';
import { seededRng } from './random.js';
import { AppError } from '../errors.js';
import type { FitCheck } from '../banks/store.js';

export function fitCheck(cycles: CycleService, catalogue: Catalogue): FitCheck {
  return async (bank) => {
    const now = Date.now();
    for (const cycle of cycles.all()) {
      if (cycle.closesAt.getTime() <= now) continue;
      for (const exam of cycle.policy.exams)
        for (const s of exam.sections) {
          const uses = s.bank === bank.bankId || (s.bank === '@specialty' && catalogue.byCode.has(bank.bankId));
          if (!uses) continue;
          const drawn = drawSection(bank, s.items, s.points, new Set(), seededRng('fit', bank.bankId, s.id));
          if (!drawn.ok)
            throw new AppError(
              'bank_too_small',
              `题库 ${bank.bankId} 无法组成周期 ${cycle.cycleId} 的「${s.title}」：需要 ${s.items} 题（${s.points} 分），题库共 ${bank.itemCount} 题`,
              {
                cycleId: cycle.cycleId,
                section: s.id,
                needed: s.items,
                available: bank.itemCount,
                shortfall: Math.max(0, s.items - bank.itemCount),
              },
            );
        }
    }
  };
}
