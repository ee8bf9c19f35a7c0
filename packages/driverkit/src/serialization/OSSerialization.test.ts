import fc from 'fast-check';
import {
  IOReturnError,
  OSArray,
  OSBoolean,
  OSData,
  OSDictionary,
  OSNumber,
  OSObject,
  OSRequiredCast,
  OSSerialization,
  OSSerializeBinary,
  OSSet,
  OSString,
  OSSymbol,
  OSUnserializeBinary,
  dumpOSSerializeBinary,
  isIOReturnError,
  kIOReturnBadArgument,
  kIOReturnUnsupported,
  kOSBooleanTrue,
  toOSObject,
} from '../index';

/** Little-endian words to bytes, so expected encodings read like XNU's key words. */
function words(...ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const v = new DataView(b.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0, true));
  return b;
}
const ascii = (s: string): number[] => {
  const bytes = [...Buffer.from(s, 'utf8')];
  while (bytes.length % 4) bytes.push(0);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  return out;
};

describe('OSSerializeBinary wire format', () => {
  test('a dictionary with one boolean, as XNU writes it', () => {
    expect(OSSerializeBinary({ AAA: true })).toEqual(words(0xd3, 0x81000001, 0x08000004, ...ascii('AAA\0'), 0x8b000001));
  });

  test('numbers carry their width and 8 bytes, low word first', () => {
    expect(OSSerializeBinary(OSNumber.withNumber(0x1_2345_6789n, 64))).toEqual(words(0xd3, 0x84000040, 0x23456789, 0x1));
    expect(OSSerializeBinary(OSNumber.withNumber(-1, 16))).toEqual(words(0xd3, 0x84000010, 0xffff, 0));
  });

  test('strings have no NUL, symbols do; data is padded; all payloads align to 4', () => {
    expect(OSSerializeBinary(OSString.withCString('hello'))).toEqual(words(0xd3, 0x89000005, ...ascii('hello')));
    expect(OSSerializeBinary(OSSymbol.withCString('abc'))).toEqual(words(0xd3, 0x88000004, ...ascii('abc\0')));
    expect(OSSerializeBinary(OSData.withBytes([1, 2, 3, 4, 5]))).toEqual(words(0xd3, 0x8a000005, 0x04030201, 0x05));
    expect(OSSerializeBinary(OSData.withBytes([]))).toEqual(words(0xd3, 0x8a000000));
  });

  test('an array of a string and an empty set; the end bit sits on the last member', () => {
    const a = OSArray.withObjects(['x', OSSet.withCapacity()]);
    expect(OSSerializeBinary(a)).toEqual(words(0xd3, 0x82000002, 0x09000001, ...ascii('x'), 0x83000000));
  });

  test('nested collections: a collection that is its parent\'s last member carries the parent\'s end', () => {
    const d = OSDictionary.withObjects([OSArray.withObjects([true])], ['a']);
    expect(OSSerializeBinary(d)).toEqual(words(0xd3, 0x81000001, 0x08000002, ...ascii('a\0'), 0x82000001, 0x8b000001));
    expect(OSUnserializeBinary(OSSerializeBinary(d)).isEqualTo(d)).toBe(true);
  });

  test('an object that appears twice is written once, then referenced by index', () => {
    const shared = OSString.withCString('s');
    const a = OSArray.withObjects([shared, shared]);
    // object #0 is the array, #1 the string.
    expect(OSSerializeBinary(a)).toEqual(words(0xd3, 0x82000002, 0x09000001, ...ascii('s'), 0x8c000001));
    const back = OSRequiredCast(OSArray, OSUnserializeBinary(OSSerializeBinary(a)));
    expect(back.getObject(0)).toBe(back.getObject(1));
  });

  test('repeated keys are symbol back-references, as interned symbols are one object', () => {
    const d = toOSObject({ a: { k: 1 }, b: { k: 2 } });
    const lines = dumpOSSerializeBinary(OSSerializeBinary(d));
    expect(lines.filter((l) => l.includes('reference'))).toHaveLength(1);
    expect(OSUnserializeBinary(OSSerializeBinary(d)).isEqualTo(d)).toBe(true);
  });

  test('refuses what the format cannot hold, naming where', () => {
    class Other extends OSObject {}
    const d = toOSObject({ outer: { list: [1, new Other()] } });
    expect(() => OSSerializeBinary(d)).toThrow(new IOReturnError(kIOReturnUnsupported, 'OSSerialization cannot encode a Other: only OSData, OSString, OSSymbol, OSNumber, OSBoolean, OSArray, OSSet and OSDictionary serialize (at $.outer.list[1])'));
    const self = OSArray.withCapacity();
    self.setObject(self);
    expect(() => OSSerializeBinary(self)).toThrow(/contains itself/);
    let deep: OSObject = OSArray.withCapacity();
    for (let i = 0; i < 70; i++) deep = OSArray.withObjects([deep]);
    expect(() => OSSerializeBinary(deep)).toThrow(/deeper than 64/);
  });
});

// Arbitrary OS* trees: every serializable class, every number width, shared sub-objects.
const leaf: fc.Arbitrary<OSObject> = fc.oneof(
  fc.string({ unit: 'grapheme' }).map((s) => OSString.withCString(s)),
  fc.string({ minLength: 1 }).filter((s) => !s.includes('\0')).map((s) => OSSymbol.withCString(s)),
  fc.uint8Array({ maxLength: 40 }).map((b) => OSData.withBytes(b)),
  fc.boolean().map((b) => OSBoolean.withBoolean(b)),
  fc.constantFrom(8, 16, 32, 64).chain((bits) =>
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }).map((v) => OSNumber.withNumber(v, bits as 8)),
  ),
  fc.double().map((d) => OSNumber.withDouble(d)),
  fc.float({ noNaN: true }).map((f) => OSNumber.withFloat(f)),
);
const tree = fc.letrec<{ node: OSObject }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 5 }).map((xs) => OSArray.withObjects(xs)),
    fc.array(tie('node'), { maxLength: 4 }).map((xs) => OSSet.withObjects(xs)),
    fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }).map((o) => {
      const d = OSDictionary.withCapacity();
      for (const [k, v] of Object.entries(o)) d.setObject(k, v);
      return d;
    }),
    tie('node').map((x) => OSArray.withObjects([x, x])),
  ),
})).node;

describe('round trips', () => {
  test('decode(encode(x)) is equal to x, and re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(tree, (x) => {
        const bytes = OSSerializeBinary(x);
        const back = OSUnserializeBinary(bytes);
        expect(back.isEqualTo(x)).toBe(true);
        expect(OSSerializeBinary(back)).toEqual(bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('OSSerialization mirrors createFromObject / finalizeBuffer / createFromBytes / copyObject', () => {
    const s = OSSerialization.createFromObject({ IOProviderClass: 'IOUSBHostInterface', idVendor: 1452 });
    const bytes = s.finalizeBuffer();
    expect(s.getLength()).toBe(bytes.length);
    const back = OSSerialization.createFromBytes(bytes);
    bytes.fill(0);
    const o = OSRequiredCast(OSDictionary, back.copyObject());
    expect(OSRequiredCast(OSNumber, o.getObject('idVendor')).unsigned32BitValue()).toBe(1452);
    back.release();
    expect(o.getRetainCount()).toBe(1);
    expect(() => back.copyObject()).toThrow(/after free/);
  });

  test('a cached key is not confused with a longer payload holding the same bytes', () => {
    expect(() => OSUnserializeBinary(words(0xd3, 0x81000001, 0x08000003, ...ascii('ab\0'), 0x8b000001))).not.toThrow();
    expect(() => OSUnserializeBinary(words(0xd3, 0x81000001, 0x08000004, ...ascii('ab\0\0'), 0x8b000001))).toThrow(/contains a NUL/);
  });

  test('a decoded boolean is the singleton', () => {
    expect(OSUnserializeBinary(OSSerializeBinary(true))).toBe(kOSBooleanTrue);
  });
});

describe('hostile input', () => {
  const bad = (code: number, offset: number, message: RegExp) => ({ code, offset, message });
  const cases: Array<[string, Uint8Array, { code: number; offset: number; message: RegExp }]> = [
    ['empty', new Uint8Array(0), bad(kIOReturnBadArgument, 0, /too short for the signature/)],
    ['ragged length', new Uint8Array(6).fill(0xd3, 0, 1), bad(kIOReturnBadArgument, 4, /not a multiple of 4/)],
    ['wrong signature', words(0xd2, 0x8b000001), bad(kIOReturnBadArgument, 0, /signature 0x000000d2 is not 0x000000d3/)],
    ['indexed variant', words(0x1d4, 0x8b000001), bad(kIOReturnUnsupported, 0, /indexed variant/)],
    ['signature only', words(0xd3), bad(kIOReturnBadArgument, 4, /ends before its first object/)],
    ['unknown type', words(0xd3, 0x85000000), bad(kIOReturnUnsupported, 4, /unknown object type 0x05/)],
    ['unknown type with end bit', words(0xd3, 0xff000000), bad(kIOReturnUnsupported, 4, /unknown object type 0x7f/)],
    ['truncated number', words(0xd3, 0x84000020, 1), bad(kIOReturnBadArgument, 4, /a number declares 8 bytes but only 4 remain/)],
    ['odd number width', words(0xd3, 0x84000007, 1, 0), bad(kIOReturnBadArgument, 4, /a number of 7 bits/)],
    ['string past the end', words(0xd3, 0x89000100, 0x41414141), bad(kIOReturnBadArgument, 4, /a string declares 256 bytes but only 4 remain/)],
    ['huge data length', words(0xd3, 0x8affffff), bad(kIOReturnBadArgument, 4, /data declares 16777216 bytes but only 0 remain/)],
    ['symbol without NUL', words(0xd3, 0x81000001, 0x08000004, ...ascii('abcd'), 0x8b000001), bad(kIOReturnBadArgument, 8, /not NUL-terminated/)],
    ['symbol with inner NUL', words(0xd3, 0x81000001, 0x08000004, ...ascii('a\0b\0'), 0x8b000001), bad(kIOReturnBadArgument, 8, /contains a NUL/)],
    ['empty symbol', words(0xd3, 0x81000001, 0x08000000, 0x8b000001), bad(kIOReturnBadArgument, 8, /symbol of length 0/)],
    ['invalid UTF-8', words(0xd3, 0x89000002, 0x0000ffc3), bad(kIOReturnBadArgument, 4, /not valid UTF-8/)],
    ['boolean of 2', words(0xd3, 0x8b000002), bad(kIOReturnBadArgument, 4, /a boolean with value 2/)],
    ['count larger than the input', words(0xd3, 0x82ffffff, 0x8b000001), bad(kIOReturnBadArgument, 4, /declares 16777215 members but only 4 bytes remain/)],
    ['count smaller than the members', words(0xd3, 0x82000001, 0x0b000001, 0x8b000001), bad(kIOReturnBadArgument, 12, /holds more than the 1 members it declares/)],
    ['count larger than the members', words(0xd3, 0x82000003, 0x0b000001, 0x8b000001, 0), bad(kIOReturnBadArgument, 4, /declares 3 members but holds 2/)],
    ['collection never closed', words(0xd3, 0x82000002, 0x0b000001, 0x0b000001), bad(kIOReturnBadArgument, 16, /ends inside the array opened at byte offset 4/)],
    ['reference forward', words(0xd3, 0x82000001, 0x8c000005), bad(kIOReturnBadArgument, 8, /back-reference to object 5 precedes that object/)],
    ['reference to itself (cycle)', words(0xd3, 0x82000001, 0x8c000000), bad(kIOReturnBadArgument, 8, /enclosing collection, would make a cycle/)],
    ['key that is a number', words(0xd3, 0x81000001, 0x04000020, 1, 0, 0x8b000001), bad(kIOReturnBadArgument, 8, /key is a OSNumber/)],
    ['repeated key', words(0xd3, 0x81000002, 0x08000002, ...ascii('k\0'), 0x0b000001, 0x0c000001, 0x8b000000), bad(kIOReturnBadArgument, 24, /repeats the key "k"/)],
    ['key without value', words(0xd3, 0x81000001, 0x88000002, ...ascii('k\0')), bad(kIOReturnBadArgument, 8, /ends after a key that has no value/)],
    ['two top-level objects', words(0xd3, 0x8b000001, 0x8b000000), bad(kIOReturnBadArgument, 8, /a second top-level object/)],
    ['top-level without end bit', words(0xd3, 0x0b000001), bad(kIOReturnBadArgument, 4, /lacks the end-of-collection bit/)],
    ['trailing zero words', words(0xd3, 0x8b000001, 0), bad(kIOReturnBadArgument, 8, /a second top-level object/)],
  ];

  test.each(cases)('%s', (_name, input, expected) => {
    let caught: unknown;
    try {
      OSUnserializeBinary(input);
    } catch (e) {
      caught = e;
    }
    expect(isIOReturnError(caught)).toBe(true);
    const e = caught as IOReturnError;
    expect(e.code).toBe(expected.code);
    expect(e.offset).toBe(expected.offset);
    expect(e.message).toMatch(expected.message);
    expect(e.message).toContain(`at byte offset ${expected.offset}`);
  });

  test('nesting deeper than 64 is refused', () => {
    const ws = [0xd3];
    for (let i = 0; i < 65; i++) ws.push(i === 0 ? 0x82000001 : 0x82000001 | 0x80000000);
    ws.push(0x8b000001);
    expect(() => OSUnserializeBinary(words(...ws))).toThrow(/nest deeper than 64 levels/);
    expect(() => OSUnserializeBinary(words(...ws), { maxDepth: 100 })).not.toThrow();
  });

  test('an object-count limit can be set', () => {
    const a = OSSerializeBinary([1, 2, 3, 4]);
    expect(() => OSUnserializeBinary(a, { maxObjects: 3 })).toThrow(/more than 3 objects/);
  });

  test('a shared-reference bomb (2^60 paths in 124 words) decodes and compares in linear time', () => {
    let a: OSObject = OSNumber.withNumber(1, 8);
    for (let i = 0; i < 60; i++) a = OSArray.withObjects([a, a]);
    const bytes = OSSerializeBinary(a);
    expect(bytes.length).toBe(4 * (1 + 60 * 2 + 3));
    const o = OSUnserializeBinary(bytes);
    expect(o.isEqualTo(a)).toBe(true);
    expect(o.isEqualTo(OSUnserializeBinary(bytes))).toBe(true);
  });

  test('random corruption of valid messages only ever raises IOReturnError, and terminates', () => {
    fc.assert(
      fc.property(
        tree,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(), { nil: undefined }),
        (x, flips, cut) => {
          const bytes = OSSerializeBinary(x);
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, (cut % bytes.length) & ~3);
          try {
            OSUnserializeBinary(input);
          } catch (e) {
            if (!isIOReturnError(e)) throw e;
            expect([kIOReturnBadArgument, kIOReturnUnsupported]).toContain(e.code);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('random words never crash the decoder', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 40 }), (ws) => {
        try {
          OSUnserializeBinary(words(0xd3, ...ws));
        } catch (e) {
          if (!isIOReturnError(e)) throw e;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
