import { describe, expect, it } from 'vitest';
import { safeText, spreadsheetCell, textProblem } from './text.js';

describe('textProblem', () => {
  it('refuses NUL, other C0 controls, DEL and lone surrogates; keeps pairs and Chinese', () => {
    for (const bad of ['a\u0000', '\u0001', 'x\u001b[31m', 'del\u007f', '\ud800', 'x\udfffy', '\ud83d'])
      expect(textProblem(bad), JSON.stringify(bad)).not.toBeNull();
    for (const ok of ['张三', '法规-0001', '😀 emoji pair', "O'Brien", '=1']) expect(textProblem(ok), ok).toBeNull();
  });

  it('allows tab, newline and CR only in multi-line text', () => {
    for (const s of ['a\tb', 'a\nb', 'a\r\nb']) {
      expect(textProblem(s)).not.toBeNull();
      expect(textProblem(s, { multiline: true })).toBeNull();
    }
    expect(textProblem('a\u000bb', { multiline: true })).not.toBeNull();
  });
});

describe('safeText', () => {
  it('checks length after trimming and chains like a zod string', () => {
    const name = safeText(4, { trim: true }).min(1);
    expect(name.parse('  张三  ')).toBe('张三');
    expect(name.safeParse('12345').success).toBe(false);
    expect(name.safeParse('   ').success).toBe(false);
    expect(name.safeParse('张\u0000').error?.issues[0]?.message).toContain('control character');
  });
});

describe('spreadsheetCell', () => {
  it('prefixes an apostrophe to strings a spreadsheet would read as a formula', () => {
    for (const s of ['=HYPERLINK("x")', '+1', '-1', '@SUM(A1)', '\tX', '\rX']) expect(spreadsheetCell(s)).toBe(`'${s}`);
    for (const s of ['张三', '', "'=already", '110102199001011234', '2026-06-01T08:00:00.000Z'])
      expect(spreadsheetCell(s)).toBe(s);
    expect(spreadsheetCell(-1)).toBe(-1);
    expect(spreadsheetCell(null)).toBe(null);
  });
});
