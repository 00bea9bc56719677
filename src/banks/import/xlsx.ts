// xlsx in the spreadsheet template of DESIGN §5, read with exceljs: the first worksheet, row numbers
// as Excel shows them. Cells may hold rich text, numbers, booleans, hyperlinks or formulas (the
// cached result is used); an Excel error value (#N/A, #REF!…) makes its row an error.
import ExcelJS from 'exceljs';
import { isAppError } from '../../errors.js';
import { Collector } from './collector.js';
import { LIMITS } from './limits.js';
import { columnLetter, importTable, type SheetRow } from './table.js';
import type { ImportOptions, ImportResult } from './types.js';
import { guardXlsx, type GuardedXlsx } from './xlsx-guard.js';

/** A cell's value as text; `error` names an Excel error value. */
export function cellText(v: ExcelJS.CellValue | undefined): { text: string; error?: string } {
  if (v === null || v === undefined) return { text: '' };
  if (typeof v === 'string') return { text: v };
  if (typeof v === 'number') return { text: Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(15))) };
  if (typeof v === 'boolean') return { text: v ? 'TRUE' : 'FALSE' };
  if (v instanceof Date) return { text: v.toISOString().slice(0, 10) };
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return { text: v.richText.map((r) => r.text ?? '').join('') };
    if ('error' in v && v.error !== undefined) return { text: '', error: String(v.error) };
    if ('formula' in v || 'sharedFormula' in v) {
      const result = (v as { result?: unknown }).result;
      if (result !== null && typeof result === 'object' && 'error' in result)
        return { text: '', error: String(result.error) };
      return cellText(result as ExcelJS.CellValue | undefined);
    }
    if ('text' in v) return cellText((v as { text: ExcelJS.CellValue }).text);
  }
  return { text: typeof v === 'object' ? JSON.stringify(v) : String(v) };
}

export async function importXlsx(bytes: Uint8Array, opts: ImportOptions): Promise<ImportResult> {
  const c = new Collector(opts.bankId);
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    c.error(
      'file',
      '这是旧版 Excel 97-2003 (.xls) 文件，请在 Excel 中另存为 .xlsx 或 CSV 后再导入 (legacy .xls is not supported)',
    );
    return c.result();
  }
  let guarded: GuardedXlsx;
  try {
    guarded = guardXlsx(bytes);
  } catch (e) {
    if (isAppError(e)) throw e; // over a limit: the whole import is refused
    c.error(
      'file',
      `无法读取 xlsx 文件，请确认文件未损坏且为 .xlsx 格式 (could not read the xlsx file): ${(e as Error).message}`,
    );
    return c.result();
  }
  const wb = new ExcelJS.Workbook();
  try {
    const b = guarded.bytes;
    await wb.xlsx.load(Buffer.from(b.buffer, b.byteOffset, b.byteLength) as unknown as ArrayBuffer);
  } catch (e) {
    c.error(
      'file',
      `无法读取 xlsx 文件，请确认文件未损坏且为 .xlsx 格式 (could not read the xlsx file): ${(e as Error).message}`,
    );
    return c.result();
  }
  if (guarded.droppedCells)
    c.note(
      'file',
      `第 ${LIMITS.sheetColumns} 列（${columnLetter(LIMITS.sheetColumns)} 列）右侧的 ${guarded.droppedCells} 个单元格已忽略 (${guarded.droppedCells} cells right of column ${columnLetter(LIMITS.sheetColumns)} ignored)`,
    );
  const ws = wb.worksheets[0];
  if (!ws) {
    c.error('file', 'xlsx 文件中没有工作表 (no worksheet)');
    return c.result();
  }
  const rows: SheetRow[] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: string[] = [];
    const cellErrors: { col: number; value: string }[] = [];
    // Only the cells the row has, never getCell() up to its last column (that creates every cell).
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      if (col > LIMITS.sheetColumns) return;
      const { text, error } = cellText(cell.value);
      while (cells.length < col - 1) cells.push('');
      cells[col - 1] = text;
      if (error) cellErrors.push({ col: col - 1, value: error });
    });
    rows.push({ row: rowNumber, cells, ...(cellErrors.length ? { cellErrors } : {}) });
  });
  importTable(c, { label: 'xlsx', rows });
  return c.result();
}
