import { OSNumber, kOSNumberDoubleBits, kOSNumberFloatBits } from '../index';

describe('OSNumber', () => {
  test.each([8, 16, 32, 64] as const)('keeps the width %i and reads back unsigned and signed', (bits) => {
    const n = OSNumber.withNumber(-1, bits);
    expect(n.numberOfBits()).toBe(bits);
    expect(n.numberOfBytes()).toBe(bits / 8);
    expect(n.isSigned()).toBe(true);
    expect(n.value()).toBe(-1);
    expect(n.unsigned64BitValue()).toBe((1n << BigInt(bits)) - 1n);
    expect(n.signed64BitValue()).toBe(bits === 64 ? -1n : (1n << BigInt(bits)) - 1n);
    expect(n.signed32BitValue()).toBe(bits === 32 || bits === 64 ? -1 : (2 ** bits - 1) | 0);
  });

  test('64-bit values are exact, beyond 2^53', () => {
    const big = 0xfedc_ba98_7654_3210n;
    const n = OSNumber.withNumber(big, 64);
    expect(n.unsigned64BitValue()).toBe(big);
    expect(n.value()).toBe(big);
    expect(n.unsigned32BitValue()).toBe(0x7654_3210);
    expect(n.unsigned16BitValue()).toBe(0x3210);
    expect(n.unsigned8BitValue()).toBe(0x10);
    expect(OSNumber.withNumber(-(1n << 63n), 64).signed64BitValue()).toBe(-(1n << 63n));
    expect(OSNumber.withNumber(2 ** 40 + 5, 64).value()).toBe(2 ** 40 + 5);
  });

  test('refuses values that do not fit, rather than truncating', () => {
    expect(() => OSNumber.withNumber(256, 8)).toThrow('256 does not fit in a 8-bit OSNumber');
    expect(() => OSNumber.withNumber(-129, 8)).toThrow(RangeError);
    expect(() => OSNumber.withNumber(1n << 64n, 64)).toThrow(RangeError);
    expect(() => OSNumber.withNumber(1.5, 32)).toThrow(/withDouble/);
    expect(() => OSNumber.withNumber(1, 12 as 8)).toThrow('OSNumber width must be 8, 16, 32 or 64 bits, got 12');
    expect(OSNumber.withNumber(255, 8).value()).toBe(255);
    expect(OSNumber.withNumber(-128, 8).value()).toBe(-128);
  });

  test('equality compares the stored bits, as libkern does, not width or sign flag', () => {
    expect(OSNumber.withNumber(5, 8).isEqualTo(OSNumber.withNumber(5, 64))).toBe(true);
    expect(OSNumber.withNumber(-1, 32).isEqualTo(OSNumber.withNumber(0xffffffff, 32))).toBe(true);
    expect(OSNumber.withNumber(-1, 32).isEqualTo(OSNumber.withNumber(-1, 64))).toBe(false);
    expect(OSNumber.withNumber(1, 32).isEqualTo(1)).toBe(false);
  });

  test('floats and doubles', () => {
    const d = OSNumber.withDouble(Math.PI);
    expect(d.numberOfBits()).toBe(kOSNumberDoubleBits);
    expect(d.isFloat()).toBe(true);
    expect(d.doubleValue()).toBe(Math.PI);
    expect(d.unsigned32BitValue()).toBe(3);
    const f = OSNumber.withFloat(0.1);
    expect(f.numberOfBits()).toBe(kOSNumberFloatBits);
    expect(f.doubleValue()).toBe(Math.fround(0.1));
    expect(OSNumber.withDouble(2).isEqualTo(OSNumber.withNumber(2, 32))).toBe(true);
    expect(OSNumber.withDouble(NaN).doubleValue()).toBeNaN();
    expect(OSNumber.withDouble(NaN).isEqualTo(OSNumber.withFloat(NaN))).toBe(true);
    expect(OSNumber.withDouble(0).isEqualTo(OSNumber.withDouble(-0))).toBe(true);
  });

  test('setValue and addValue keep the width and wrap like C', () => {
    const n = OSNumber.withNumber(250, 8);
    n.addValue(10);
    expect(n.unsigned8BitValue()).toBe(4);
    n.setValue(0x1ff);
    expect(n.value()).toBe(0xff);
    const d = OSNumber.withDouble(1.5);
    d.addValue(1);
    expect(d.doubleValue()).toBe(2.5);
  });
});
