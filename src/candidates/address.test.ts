import { describe, expect, it } from 'vitest';
import { keyPart } from '../redis/keys.js';
import { addressBucket, forwardedAddress } from './address.js';

describe('forwardedAddress', () => {
  it('takes the rightmost entry, the one the trusted proxy appended', () => {
    expect(forwardedAddress('6.6.6.6, 10.0.0.1, 203.0.113.7')).toBe('203.0.113.7');
    expect(forwardedAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(forwardedAddress('spoofed,  2001:db8::1 ')).toBe('2001:db8::1');
    expect(forwardedAddress('x, [2001:db8::1]:443')).toBe('2001:db8::1');
    expect(forwardedAddress('x, 203.0.113.7:8080')).toBe('203.0.113.7');
  });
  it('answers nothing when that entry is not an address', () => {
    expect(forwardedAddress(undefined)).toBeUndefined();
    expect(forwardedAddress('')).toBeUndefined();
    expect(forwardedAddress('203.0.113.7, ')).toBeUndefined();
    expect(forwardedAddress('1.2.3.4, unknown')).toBeUndefined();
    expect(forwardedAddress('1.2.3.4, {evil}')).toBeUndefined();
  });
});

describe('addressBucket', () => {
  it('keeps IPv4, unwraps IPv4-mapped IPv6, and counts IPv6 by its /64', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:DB8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBucket('unknown')).toBe('unknown');
  });
});

describe('keyPart', () => {
  it('keeps short plain values and digests anything else to a bounded size', () => {
    expect(keyPart('110102198001011234')).toBe('110102198001011234');
    expect(keyPart('2001:db8:1:2::/64')).toBe('2001:db8:1:2::/64');
    expect(keyPart('x'.repeat(65))).toMatch(/^#[\w-]{32}$/);
    expect(keyPart('a}b')).toMatch(/^#[\w-]{32}$/);
    expect(keyPart('a}b')).not.toBe(keyPart('a}c'));
    expect(keyPart('x'.repeat(100_000)).length).toBe(33);
  });
});
