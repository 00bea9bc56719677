// Bounds on what one import may cost. An import runs in a worker thread with its own heap limit and
// wall clock (run.ts), but the readers also refuse, before doing the work, what is plainly too big:
// decompressed zip entries, spreadsheet rows, cells and columns, and text handed to a converter.
//
// Over a size limit → 413 payload_too_large; over a count or structure limit → 422 import_failed.
// Messages are read by admins: Chinese first, English in brackets.
import { AppError } from '../../errors.js';

const MiB = 1024 * 1024;

export const LIMITS = {
  /** A QTI item or manifest inside a content package, decompressed. */
  qtiEntryBytes: 4 * MiB,
  /** Any other zip entry (xlsx parts: sheets, shared strings, styles…), decompressed. */
  zipEntryBytes: 32 * MiB,
  /** All the entries read from one zip, decompressed. */
  zipTotalBytes: 96 * MiB,
  /** Columns read from a worksheet: the template has 20; cells further right are dropped. */
  sheetColumns: 64,
  /** Rows (row elements) in all the worksheets of an xlsx. */
  sheetRows: 100_000,
  /** Cells in all the worksheets of an xlsx. */
  sheetCells: 1_000_000,
  /** Cells covered by merged ranges (exceljs creates every one of them). */
  mergedCells: 100_000,
  /** One text (a stem, an option, a feedback, a cell) before it is converted, in characters. */
  fieldChars: 1_000_000,
  /** Wall clock of one import, in the worker. */
  wallClockMs: 20_000,
  /** Heap of the import worker. */
  workerHeapMb: 256,
} as const;

const mib = (n: number) => `${Math.round((n / MiB) * 10) / 10} MiB`;

/** 413: something in the file is bigger than allowed. */
export function tooLarge(zh: string, en: string): AppError {
  return new AppError('payload_too_large', `${zh} (${en})`);
}

/** 422: the file has more rows, cells or structure than an import may hold. */
export function tooComplex(zh: string, en: string): AppError {
  return new AppError('import_failed', `${zh} (${en})`);
}

export function entryTooLarge(name: string, bytes: number, limit: number): AppError {
  return tooLarge(
    `压缩包中的文件“${name}”解压后为 ${mib(bytes)}，超过 ${mib(limit)} 的上限`,
    `zip entry "${name}" is ${mib(bytes)} decompressed; the limit is ${mib(limit)}`,
  );
}

export function zipTooLarge(limit: number): AppError {
  return tooLarge(
    `压缩包解压后的总大小超过 ${mib(limit)} 的上限`,
    `the zip decompresses to more than ${mib(limit)} in all`,
  );
}

/** Refuses a text longer than `LIMITS.fieldChars` before any conversion (HTML, Markdown) runs on it. */
export function checkFieldSize(s: string): string {
  if (s.length > LIMITS.fieldChars)
    throw tooLarge(
      `单个题目文本长度为 ${s.length} 个字符，超过 ${LIMITS.fieldChars} 个字符的上限`,
      `one text is ${s.length} characters long; the limit is ${LIMITS.fieldChars}`,
    );
  return s;
}
