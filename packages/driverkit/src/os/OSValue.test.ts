import fc from 'fast-check';
import {
  OSArray,
  OSBoolean,
  OSData,
  OSDictionary,
  OSDynamicCast,
  OSNumber,
  OSRequiredCast,
  OSSet,
  OSString,
  fromOSObject,
  kOSBooleanFalse,
  kOSBooleanTrue,
  toOSDictionary,
  toOSObject,
} from '../index';

describe('plain values to OS* objects', () => {
  test('follows the documented table', () => {
    const d = toOSDictionary({
      s: 'text',
      t: true,
      small: 0x05ac,
      negative: -5,
      wide: 0x1_0000_0000,
      big: 1n << 60n,
      real: 0.5,
      bytes: new Uint8Array([1, 2]),
      list: [1, 'a'],
      set: new Set(['x']),
      nested: { a: 1 },
      map: new Map([['k', 'v']]),
    });
    const n = (k: string): OSNumber => OSRequiredCast(OSNumber, d.getObject(k));
    expect(OSRequiredCast(OSString, d.getObject('s')).getCStringNoCopy()).toBe('text');
    expect(d.getObject('t')).toBe(kOSBooleanTrue);
    expect(n('small').numberOfBits()).toBe(32);
    expect(n('negative').numberOfBits()).toBe(32);
    expect(n('negative').value()).toBe(-5);
    expect(n('wide').numberOfBits()).toBe(64);
    expect(n('big').unsigned64BitValue()).toBe(1n << 60n);
    expect(n('real').isFloat()).toBe(true);
    expect(OSRequiredCast(OSData, d.getObject('bytes')).getLength()).toBe(2);
    expect(OSRequiredCast(OSArray, d.getObject('list')).getCount()).toBe(2);
    expect(OSRequiredCast(OSSet, d.getObject('set')).getCount()).toBe(1);
    expect(OSRequiredCast(OSDictionary, d.getObject('nested')).getCount()).toBe(1);
    expect(OSRequiredCast(OSDictionary, d.getObject('map')).getCount()).toBe(1);
    expect([...d.keys()][0]).toBe('s');
  });

  test('names where an unconvertible value was found', () => {
    expect(() => toOSObject({ a: [1, null] } as never)).toThrow('$.a[1]: null has no OS* form');
    expect(() => toOSObject({ f: () => 1 } as never)).toThrow('$.f: a function has no OS* form');
    expect(() => toOSObject({ n: 2 ** 60 })).toThrow(/pass a bigint/);
    expect(() => toOSObject({ n: Infinity })).toThrow('$.n: Infinity has no OSNumber form');
    const self: Record<string, unknown> = {};
    self.me = self;
    expect(() => toOSObject(self as never)).toThrow('$.me: the value contains itself');
    expect(() => toOSDictionary([1] as never)).toThrow('expected a dictionary');
  });

  test('setObject accepts plain values', () => {
    const d = OSDictionary.withCapacity();
    d.setObject('idVendor', 0x05ac);
    expect(OSRequiredCast(OSNumber, d.getObject('idVendor')).unsigned16BitValue()).toBe(0x05ac);
  });
});

describe('OS* objects to plain values', () => {
  test('round-trips JSON-like values exactly', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.boolean(),
        fc.integer({ min: -0x8000_0000, max: 0xffff_ffff }),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        expect(fromOSObject(toOSObject(v as never))).toEqual(v);
      }),
    );
  });

  test('a key named __proto__ stays an ordinary key', () => {
    const d = OSDictionary.withCapacity();
    d.setObject('__proto__', 'polluted?');
    const o = fromOSObject(d) as Record<string, unknown>;
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('shared sub-objects stay shared, so conversion is linear on a DAG', () => {
    let a: OSArray = OSArray.withObjects([1]);
    for (let i = 0; i < 50; i++) a = OSArray.withObjects([a, a]);
    const v = fromOSObject(a) as unknown[];
    expect(v[0]).toBe(v[1]);
  });

  test('bigints come back for values beyond 2^53; signed numbers come back negative', () => {
    expect(fromOSObject(OSNumber.withNumber(1n << 60n, 64))).toBe(1n << 60n);
    expect(fromOSObject(OSNumber.withNumber(-7, 16))).toBe(-7);
    expect(fromOSObject(kOSBooleanFalse)).toBe(false);
    expect(fromOSObject(OSSet.withObjects(['a']))).toEqual(new Set(['a']));
  });
});

describe('casts', () => {
  test('OSDynamicCast returns null for another class; OSRequiredCast names both', () => {
    const a = OSArray.withCapacity();
    expect(OSDynamicCast(OSArray, a)).toBe(a);
    expect(OSDynamicCast(OSDictionary, a)).toBeNull();
    expect(OSDynamicCast(OSString, null)).toBeNull();
    expect(OSDynamicCast(OSBoolean, kOSBooleanTrue)).toBe(kOSBooleanTrue);
    expect(() => OSRequiredCast(OSDictionary, a)).toThrow('OSRequiredCast: expected OSDictionary, got OSArray');
    expect(() => OSRequiredCast(OSDictionary, undefined)).toThrow('expected OSDictionary, got undefined');
  });
});
