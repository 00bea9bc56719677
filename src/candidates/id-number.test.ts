import { describe, expect, it } from 'vitest';
import { checkCharacter, checkIdNumber, maskIdNumber } from './id-number.js';

describe('GB 11643 id numbers', () => {
  it('accepts valid numbers, including a check character X', () => {
    // 11010519491231002X is the standard's own worked example.
    expect(checkIdNumber('11010519491231002X')).toEqual({
      ok: true,
      idNumber: '11010519491231002X',
      birthDate: '1949-12-31',
    });
    expect(checkIdNumber('11010519491231002x')).toMatchObject({ ok: true, idNumber: '11010519491231002X' });
    const body = '44030419900307123';
    expect(checkIdNumber(body + checkCharacter(body)).ok).toBe(true);
  });

  it('rejects a wrong check character, a bad date, a bad region and a bad shape', () => {
    expect(checkIdNumber('110105194912310021')).toMatchObject({ ok: false, reason: expect.stringContaining('校验位') });
    const feb30 = '11010519900230123';
    expect(checkIdNumber(feb30 + checkCharacter(feb30))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('出生日期'),
    });
    const future = '11010530000101123';
    expect(checkIdNumber(future + checkCharacter(future)).ok).toBe(false);
    const region = '99010519900101123';
    expect(checkIdNumber(region + checkCharacter(region))).toMatchObject({
      ok: false,
      reason: expect.stringContaining('地区'),
    });
    expect(checkIdNumber('1101051949123100').ok).toBe(false);
    expect(checkIdNumber('11010519491231002Y').ok).toBe(false);
  });

  it('masks all but the region prefix and the last four', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110***********002X');
  });
});
