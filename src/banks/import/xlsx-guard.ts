// Checks an xlsx before exceljs reads it. exceljs builds its whole model in memory and, on the way,
// creates an object for every cell of a merged range and every cell a data validation names (a
// validation on `A:XFD` is 17 billion of them), and a row's cells up to its last column. So, reading
// the zip with fflate first (sizes bounded, see zip.ts), each worksheet's XML is scanned once:
//
// - rows and cells are counted over all sheets (over a limit → 422);
// - cells right of the template's columns (`LIMITS.sheetColumns`) are removed from the XML, so a
//   cell at column XFD costs nothing (the reader reports how many were dropped);
// - merged ranges are summed (over a limit → 422);
// - `<dataValidations>` are removed: the importer never needs them.
//
// The scan looks at tags with indexOf only (no backtracking regex), so it is linear in the XML.
import { strFromU8, strToU8, zipSync, type Zippable } from 'fflate';
import { LIMITS, tooComplex } from './limits.js';
import { readZip } from './zip.js';

export interface GuardedXlsx {
  /** The xlsx to hand to exceljs (the original bytes when nothing had to change). */
  bytes: Uint8Array;
  /** Cells dropped because they were right of the last column read. */
  droppedCells: number;
}

/** 1-based column number of the letters of a cell reference (`XFD7` → 16384), or 0. */
export function columnNumber(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length && i < 4; i++) {
    const code = ref.charCodeAt(i) & ~0x20; // upper case
    if (code < 65 || code > 90) return i === 0 ? 0 : n;
    n = n * 26 + (code - 64);
  }
  return n;
}

/** The value of attribute `name` in the inside of a start tag, without backtracking. */
export function attribute(tag: string, name: string): string | undefined {
  for (let i = tag.indexOf(name); i >= 0; i = tag.indexOf(name, i + 1)) {
    if (!/\s/.test(tag[i - 1] ?? '')) continue;
    let j = i + name.length;
    while (/\s/.test(tag[j] ?? '')) j++;
    if (tag[j] !== '=') continue;
    j++;
    while (/\s/.test(tag[j] ?? '')) j++;
    const quote = tag[j];
    if (quote !== '"' && quote !== "'") return undefined;
    const end = tag.indexOf(quote, j + 1);
    return end < 0 ? undefined : tag.slice(j + 1, end);
  }
  return undefined;
}

/** Cells covered by a range list such as `A1:C3 E5` (a whole column `A:A` counts its 1,048,576 rows). */
export function rangeArea(ref: string): number {
  let area = 0;
  for (const part of ref.trim().split(/\s+/)) {
    if (!part) continue;
    const [a, b = a] = part.replace(/\$/g, '').split(':') as [string, string?];
    const cell = (s: string) => ({ col: columnNumber(s), row: Number(/\d+/.exec(s)?.[0] ?? 0) });
    const [p, q] = [cell(a), cell(b)];
    // "A:A" names no row (rows 1..1048576); "1:1" names no column (columns 1..16384).
    const cols = p.col && q.col ? Math.abs(q.col - p.col) + 1 : 16_384;
    const rows = p.row && q.row ? Math.abs(q.row - p.row) + 1 : 1_048_576;
    area += rows * cols;
  }
  return area;
}

interface SheetScan {
  xml: string;
  rows: number;
  cells: number;
  dropped: number;
  merged: number;
  /** Whether `xml` differs from the input. */
  changed: boolean;
}

const localName = (raw: string) => {
  let end = 0;
  while (end < raw.length && !/[\s/]/.test(raw[end]!)) end++;
  const qname = raw.slice(0, end);
  return { qname, name: qname.slice(qname.indexOf(':') + 1) };
};

/** One pass over a worksheet's XML; see the file comment. */
export function scanSheet(xml: string): SheetScan {
  const keep: string[] = [];
  let copied = 0;
  let rows = 0;
  let cells = 0;
  let dropped = 0;
  let merged = 0;
  let column = 0; // implied column of a cell without `r`
  const cut = (from: number, to: number) => {
    keep.push(xml.slice(copied, from));
    copied = to;
  };
  /** The end of the element whose start tag ends at `gt` (after its closing tag). */
  const elementEnd = (raw: string, qname: string, gt: number) => {
    if (raw.endsWith('/')) return gt + 1;
    const close = xml.indexOf(`</${qname}>`, gt);
    return close < 0 ? xml.length : close + qname.length + 3;
  };
  let pos = 0;
  for (;;) {
    const lt = xml.indexOf('<', pos);
    if (lt < 0) break;
    const gt = xml.indexOf('>', lt);
    if (gt < 0) break;
    pos = gt + 1;
    const raw = xml.slice(lt + 1, gt);
    const first = raw[0];
    if (first === '/' || first === '?' || first === '!') continue;
    const { qname, name } = localName(raw);
    switch (name) {
      case 'row':
        rows++;
        column = 0;
        break;
      case 'c': {
        cells++;
        const r = attribute(raw, 'r');
        column = r ? columnNumber(r) || column + 1 : column + 1;
        if (column > LIMITS.sheetColumns) {
          const end = elementEnd(raw, qname, gt);
          cut(lt, end);
          pos = end;
          dropped++;
        }
        break;
      }
      case 'mergeCell':
        merged += rangeArea(attribute(raw, 'ref') ?? '');
        break;
      case 'dataValidations': {
        const end = elementEnd(raw, qname, gt);
        cut(lt, end);
        pos = end;
        break;
      }
    }
  }
  const out = copied === 0 ? xml : keep.join('') + xml.slice(copied);
  return { xml: out, rows, cells, dropped, merged, changed: copied !== 0 };
}

const isSheet = (name: string) => /^xl\/worksheets\/[^/]+\.xml$/i.test(name);

/**
 * Reads the zip within the size limits and scans every worksheet. Throws 413 (sizes) or 422 (rows,
 * cells, merged ranges); answers the bytes exceljs should read.
 */
export function guardXlsx(bytes: Uint8Array): GuardedXlsx {
  const files = readZip(bytes, { want: () => true, maxEntry: LIMITS.zipEntryBytes });
  let rows = 0;
  let cells = 0;
  let merged = 0;
  let droppedCells = 0;
  let changed = false;
  for (const name of Object.keys(files)) {
    if (!isSheet(name)) continue;
    const scan = scanSheet(strFromU8(files[name]!));
    rows += scan.rows;
    cells += scan.cells;
    merged += scan.merged;
    droppedCells += scan.dropped;
    if (rows > LIMITS.sheetRows)
      throw tooComplex(
        `表格的行数超过 ${LIMITS.sheetRows} 行的上限`,
        `the workbook has more than ${LIMITS.sheetRows} rows`,
      );
    if (cells > LIMITS.sheetCells)
      throw tooComplex(
        `表格的单元格数超过 ${LIMITS.sheetCells} 个的上限`,
        `the workbook has more than ${LIMITS.sheetCells} cells`,
      );
    if (merged > LIMITS.mergedCells)
      throw tooComplex(
        `表格中合并单元格覆盖的范围超过 ${LIMITS.mergedCells} 个单元格的上限`,
        `merged ranges cover more than ${LIMITS.mergedCells} cells`,
      );
    if (scan.changed) {
      files[name] = strToU8(scan.xml);
      changed = true;
    }
  }
  if (!changed) return { bytes, droppedCells };
  // Stored, not deflated: exceljs reads it at once, and deflating would only cost time.
  const zippable: Zippable = {};
  for (const [name, data] of Object.entries(files)) zippable[name] = [data, { level: 0 }];
  return { bytes: zipSync(zippable), droppedCells };
}
