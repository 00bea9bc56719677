// CSV in the spreadsheet template of DESIGN §5. Excel in China saves CSV as GBK/GB18030 ("CSV
// (逗号分隔)") or UTF-8 with a BOM ("CSV UTF-8"): strict UTF-8 is tried first, then GB18030.
import { parse } from 'csv-parse/sync';
import { Collector } from './collector.js';
import { decodeText } from './decode.js';
import { importTable, type SheetRow } from './table.js';
import type { ImportOptions, ImportResult } from './types.js';

/** The delimiter of the first line: comma unless tabs or semicolons clearly dominate (outside quotes). */
function detectDelimiter(text: string): string {
  const counts: Record<string, number> = { ',': 0, '\t': 0, ';': 0 };
  let quoted = false;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === '\n' || ch === '\r')) break;
    else if (!quoted && ch in counts) counts[ch]!++;
  }
  let best = ',';
  for (const d of ['\t', ';']) if (counts[d]! > counts[best]!) best = d;
  return best;
}

export async function importCsv(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  const decoded = decodeText(bytes);
  if (decoded.note) c.note('file', decoded.note);
  const text = decoded.text.replace(/^\uFEFF/, '');
  const rows: SheetRow[] = [];
  let rowNo = 0;
  try {
    parse(text, {
      delimiter: detectDelimiter(text),
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      skip_records_with_error: true,
      on_record: (record: string[]) => {
        rowNo++;
        rows.push({ row: rowNo, cells: record });
        return null;
      },
      on_skip: (err: Error | undefined) => {
        rowNo++;
        const code = (err as { code?: string } | undefined)?.code;
        c.error(
          `row ${rowNo}`,
          code === 'CSV_QUOTE_NOT_CLOSED'
            ? `引号未闭合：从第 ${rowNo} 行到文件末尾的内容无法读取 (unclosed quote: the rest of the file could not be read)`
            : `此行无法按 CSV 读取 (row could not be read as CSV): ${err?.message ?? ''}`,
        );
        return undefined;
      },
    });
  } catch (e) {
    c.error(`row ${rowNo + 1}`, `CSV 无法读取 (CSV could not be read): ${(e as Error).message}`);
  }
  importTable(c, { label: 'csv', rows });
  return c.result();
}
