import { describe, expect, it } from 'vitest';
import { errorFields, makeLog, scrub } from './log.js';

describe('scrub', () => {
  it('cuts SQL parameters and masks id numbers, hashes and tokens', () => {
    const msg =
      'Failed query: insert into "candidates" ("id_number", "name") values ($1, $2)\nparams: 11010219900101123X,张三,scrypt$16384$8$1$abc$def';
    const out = scrub(msg);
    expect(out).toContain('insert into "candidates"');
    expect(out).not.toContain('张三');
    expect(out).not.toContain('11010219900101123X');
    expect(scrub('id 11010219900101123X here')).toBe('id 110102********123X here');
    expect(scrub('old 110102900101123')).toBe('old 110102******123');
    expect(scrub('hash scrypt$16384$8$1$c2FsdA$aGFzaA')).toBe('hash scrypt$[redacted]');
    expect(scrub('Authorization: Bearer abc.def')).not.toContain('abc.def');
    expect(scrub('t 0123456789abcd.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA end')).toBe('t [token] end');
    expect(scrub('invalid input syntax for type integer: "王五"')).not.toContain('王五');
    expect(scrub('at process.processTicksAndRejections (node:internal)')).toContain('processTicksAndRejections');
  });
});

describe('makeLog', () => {
  it('writes one JSON object per line, with secret keys and error fields redacted', () => {
    const lines: string[] = [];
    const log = makeLog('info', (line) => lines.push(line));
    const err = Object.assign(new Error('Failed query: select 1\nparams: 11010219900101123X'), {
      parameters: ['11010219900101123X', '张三'],
      query: 'select 1',
      cause: Object.assign(new Error('boom'), { code: '23505' }),
    });
    log('x', { idNumber: '11010219900101123X', name: '张三', password: 'pw', nested: { token: 't' }, error: err });
    log('dropped', {}, 'debug');
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'x',
      idNumber: '[redacted]',
      name: '[redacted]',
      password: '[redacted]',
      nested: { token: '[redacted]' },
      error: { errorClass: 'Error', code: '23505', cause: { code: '23505', message: 'boom' } },
    });
    expect(lines[0]).not.toContain('张三');
    expect(lines[0]).not.toContain('11010219900101123X');
    expect(errorFields('plain')).toEqual({ errorClass: 'string', message: 'plain' });
  });
});
