import { IOFixedDivide, IOFixedFromDouble, IOFixedFromInt, IOFixedMultiply, IOFixedToDouble, IOFixedToInt, kIOFixedOne } from '../index';

describe('IOFixed', () => {
  test('16.16 conversions', () => {
    expect(kIOFixedOne).toBe(0x10000);
    expect(IOFixedFromDouble(1.5)).toBe(0x18000);
    expect(IOFixedFromDouble(-1)).toBe(-0x10000);
    expect(IOFixedToDouble(0x18000)).toBe(1.5);
    expect(IOFixedFromInt(-3)).toBe(-3 * 65536);
    expect(IOFixedToInt(IOFixedFromDouble(-1.5))).toBe(-2);
    expect(IOFixedFromDouble(1e9)).toBe(0x7fffffff);
    expect(() => IOFixedFromDouble(NaN)).toThrow(RangeError);
  });

  test('multiply and divide as Apple computes them in 64 bits', () => {
    expect(IOFixedMultiply(IOFixedFromDouble(1.5), IOFixedFromDouble(2.25))).toBe(IOFixedFromDouble(3.375));
    expect(IOFixedMultiply(IOFixedFromDouble(-2), IOFixedFromDouble(0.5))).toBe(IOFixedFromDouble(-1));
    expect(IOFixedDivide(IOFixedFromDouble(3), IOFixedFromDouble(2))).toBe(IOFixedFromDouble(1.5));
    expect(IOFixedDivide(IOFixedFromDouble(-3), IOFixedFromDouble(2))).toBe(IOFixedFromDouble(-1.5));
    expect(() => IOFixedDivide(1, 0)).toThrow(RangeError);
  });
});
