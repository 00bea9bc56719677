// npm run banks:synth -- [--items 300] [--out question-banks/synthetic] [--only code,code]
// Writes a synthetic bank for `law` and for every online specialty of the catalogue. The output
// folder is not loaded at start-up; publish what you need with PUT /v1/admin/banks/:bankId.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadCatalogue } from '../catalogue/catalogue.js';
import { parseBank } from './schema.js';
import { synthBank } from './synth.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '300' },
    out: { type: 'string', default: 'question-banks/synthetic' },
    only: { type: 'string' },
  },
});
const items = Number(values.items);
if (!Number.isInteger(items) || items < 1 || items > 100_000)
  throw new Error('--items takes a whole number from 1 to 100000');
const only = values.only ? new Set(values.only.split(',')) : null;
const targets = [{ code: 'law', name: '法律法规' }, ...loadCatalogue().specialties.filter((s) => s.online)].filter(
  (t) => !only || only.has(t.code),
);
mkdirSync(values.out, { recursive: true });
for (const [i, t] of targets.entries()) {
  const bank = synthBank({ bankId: t.code, title: t.name, items, seed: i + 1 });
  const checked = parseBank(bank);
  if (!checked.ok) throw new Error(`${t.code}: ${JSON.stringify(checked.issues.slice(0, 3))}`);
  writeFileSync(path.join(values.out, `${t.code}.json`), JSON.stringify(bank) + '\n');
}
process.stdout.write(`wrote ${targets.length} synthetic banks of ${items} items to ${values.out}\n`);
