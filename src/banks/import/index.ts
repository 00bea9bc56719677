// Question-bank importers: bytes of a CSV/xlsx template, GIFT, Moodle XML, QTI (item or content
// package) or Aiken file → native questions (DESIGN §5) plus a report. Pure library code: no I/O.
//
// Every question the file holds is accounted for: imported, skipped (a type the engine does not
// deliver, with a Chinese + English reason) or an error (a malformed part, named by row/line/item).
// A malformed part never sinks the rest of the file, and bad input never throws: it is reported.
import { isAppError } from '../../errors.js';
import { bankIdSchema } from '../schema.js';
import { importAiken } from './aiken.js';
import { importCsv } from './csv.js';
import { importGift } from './gift.js';
import { importMoodleXml } from './moodlexml.js';
import { importQti } from './qti.js';
import { IMPORT_FORMATS, type ImportFormat, type ImportOptions, type ImportResult } from './types.js';
import { importXlsx } from './xlsx.js';

export type { ImportFormat, ImportOptions, ImportReport, ImportResult } from './types.js';
export { IMPORT_FORMATS } from './types.js';
export { buildTemplateXlsx, TEMPLATE_EXAMPLES, TEMPLATE_HEADERS } from './template.js';
export { importAiken, importCsv, importGift, importMoodleXml, importQti, importXlsx };

const IMPORTERS: Record<ImportFormat, (bytes: Uint8Array, opts: ImportOptions) => Promise<ImportResult>> = {
  csv: importCsv,
  xlsx: importXlsx,
  gift: importGift,
  moodlexml: importMoodleXml,
  qti: importQti,
  aiken: importAiken,
};

/**
 * Imports a question-bank file. Throws only on a programming error (unknown format, bank id not
 * matching the bank id pattern); anything wrong with the file itself is in `errors`.
 */
export async function importBank(
  format: ImportFormat,
  bytes: Uint8Array,
  opts: { bankId: string },
): Promise<ImportResult> {
  if (!IMPORT_FORMATS.includes(format)) throw new TypeError(`unknown import format ${JSON.stringify(format)}`);
  if (!bankIdSchema.safeParse(opts.bankId).success)
    throw new TypeError(`invalid bankId ${JSON.stringify(opts.bankId)}`);
  try {
    return await IMPORTERS[format](bytes, opts);
  } catch (e) {
    // An import limit (AppError: 413/422) refuses the whole file.
    if (isAppError(e)) throw e;
    // A file the readers did not foresee must still get a report, never a 5xx.
    return {
      imported: 0,
      skipped: [],
      errors: [
        { ref: 'file', detail: `文件无法导入 (the file could not be imported): ${(e as Error)?.message ?? String(e)}` },
      ],
      notes: [],
      questions: [],
    };
  }
}
