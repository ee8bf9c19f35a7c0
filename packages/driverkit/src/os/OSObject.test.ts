import { OSArray, OSData, OSDictionary, OSNumber, OSObject, OSSafeReleaseNULL, OSSet, OSString, OSSymbol, kOSBooleanTrue } from '../index';

class Resource extends OSObject {
  static freed: string[] = [];
  constructor(readonly label: string) {
    super();
  }
  override free(): void {
    Resource.freed.push(this.label);
    super.free();
  }
}

beforeEach(() => {
  Resource.freed = [];
});

describe('retain/release', () => {
  test('free runs once, when the last reference goes', () => {
    const r = new Resource('a');
    expect(r.getRetainCount()).toBe(1);
    r.retain();
    r.release();
    expect(Resource.freed).toEqual([]);
    r.release();
    expect(Resource.freed).toEqual(['a']);
    expect(r.isFreed()).toBe(true);
  });

  test('over-release and retain after free are errors naming the class', () => {
    const r = new Resource('a');
    r.release();
    expect(() => r.release()).toThrow('Resource.release() after free(): released once too often');
    expect(() => r.retain()).toThrow('Resource.retain() after free()');
    expect(Resource.freed).toEqual(['a']);
  });

  test('OSSafeReleaseNULL releases and returns null', () => {
    let r: Resource | null = new Resource('a');
    r = OSSafeReleaseNULL(r);
    expect(r).toBeNull();
    expect(OSSafeReleaseNULL(null)).toBeNull();
    expect(Resource.freed).toEqual(['a']);
  });

  test('booleans and symbols are immortal', () => {
    kOSBooleanTrue.release();
    kOSBooleanTrue.release();
    expect(kOSBooleanTrue.isFreed()).toBe(false);
    const s = OSSymbol.withCString('IOProviderClass');
    s.release();
    s.release();
    expect(s.isFreed()).toBe(false);
  });
});

describe('collections own their members', () => {
  test('an array retains on insert, releases on removal and when freed', () => {
    const a = OSArray.withCapacity(2);
    const x = new Resource('x');
    const y = new Resource('y');
    a.setObject(x);
    a.setObject(y);
    x.release();
    y.release();
    expect(Resource.freed).toEqual([]);
    a.removeObject(0);
    expect(Resource.freed).toEqual(['x']);
    a.release();
    expect(Resource.freed).toEqual(['x', 'y']);
  });

  test('a dictionary releases the value it replaces', () => {
    const d = OSDictionary.withCapacity();
    const x = new Resource('x');
    d.setObject('k', x);
    x.release();
    d.setObject('k', 'replacement');
    expect(Resource.freed).toEqual(['x']);
    expect((d.getObject('k') as OSString).getCStringNoCopy()).toBe('replacement');
    d.release();
  });

  test('a set releases its members when flushed', () => {
    const s = OSSet.withCapacity();
    const x = new Resource('x');
    expect(s.setObject(x)).toBe(true);
    expect(s.setObject(x)).toBe(false);
    x.release();
    s.flushCollection();
    expect(Resource.freed).toEqual(['x']);
  });

  test('copyCollection copies nested collections and shares leaves', () => {
    const inner = OSArray.withObjects([1, 2]);
    const d = OSDictionary.withObjects([inner, 'v'], ['list', 'name']);
    const copy = d.copyCollection();
    expect(copy.isEqualTo(d)).toBe(true);
    expect(copy.getObject('list')).not.toBe(inner);
    expect(copy.getObject('name')).toBe(d.getObject('name'));
    (copy.getObject('list') as OSArray).setObject(3);
    expect(inner.getCount()).toBe(2);
  });
});

describe('OSArray', () => {
  test('setObject appends or inserts, replaceObject and getNextIndexOfObject work as in libkern', () => {
    const a = OSArray.withObjects(['a', 'c']);
    expect(a.setObject(1, 'b')).toBe(true);
    expect(a.setObject(9, 'z')).toBe(false);
    expect([...a].map((o) => (o as OSString).getCStringNoCopy())).toEqual(['a', 'b', 'c']);
    const last = a.getLastObject()!;
    expect(a.getNextIndexOfObject(last)).toBe(2);
    a.replaceObject(0, 'A');
    expect((a.getObject(0) as OSString).getCStringNoCopy()).toBe('A');
    expect(a.getObject(7)).toBeNull();
    const visited: number[] = [];
    expect(a.iterateObjects(() => visited.push(1) === 2)).toBe(true);
    expect(visited.length).toBe(2);
  });
});

describe('OSDictionary', () => {
  test('keeps insertion order and accepts string, OSString and OSSymbol keys', () => {
    const d = OSDictionary.withCapacity();
    d.setObject('b', 1);
    d.setObject(OSString.withCString('a'), 2);
    d.setObject(OSSymbol.withCString('c'), 3);
    expect([...d.keys()]).toEqual(['b', 'a', 'c']);
    expect((d.getObject(OSSymbol.withCString('a')) as OSNumber).unsigned32BitValue()).toBe(2);
    const keys: OSSymbol[] = [];
    d.iterateObjects((k) => void keys.push(k));
    expect(keys[0]).toBe(OSSymbol.withCString('b'));
    d.removeObject('a');
    expect(d.getCount()).toBe(2);
    expect(d.getObject('a')).toBeNull();
  });

  test('equality is by content, in any order', () => {
    const a = OSDictionary.withObjects([1, 'x'], ['n', 's']);
    const b = OSDictionary.withObjects(['x', 1], ['s', 'n']);
    expect(a.isEqualTo(b)).toBe(true);
    b.setObject('n', 2);
    expect(a.isEqualTo(b)).toBe(false);
    expect(a.isEqualTo(OSArray.withCapacity())).toBe(false);
  });

  test('refuses keys that are not strings', () => {
    expect(() => OSDictionary.withCapacity().setObject(5 as unknown as string, 1)).toThrow(TypeError);
  });

  test('merge overwrites and adds', () => {
    const a = OSDictionary.withObjects([1, 2], ['x', 'y']);
    a.merge(OSDictionary.withObjects([3, 4], ['y', 'z']));
    expect([...a.keys()]).toEqual(['x', 'y', 'z']);
    expect((a.getObject('y') as OSNumber).unsigned32BitValue()).toBe(3);
  });
});

describe('OSSymbol and OSString', () => {
  test('symbols are interned, strings are not', () => {
    expect(OSSymbol.withCString('idVendor')).toBe(OSSymbol.withCString('idVendor'));
    expect(OSString.withCString('idVendor')).not.toBe(OSString.withCString('idVendor'));
    expect(OSSymbol.withCString('idVendor').isEqualTo(OSString.withCString('idVendor'))).toBe(true);
    expect(OSString.withCString('x').isEqualTo('x')).toBe(true);
    expect(OSString.withCString('é').getLength()).toBe(2);
  });
});

describe('OSData', () => {
  test('copies on create, grows on append, compares bytes', () => {
    const src = new Uint8Array([1, 2, 3]);
    const d = OSData.withBytes(src);
    src[0] = 9;
    expect([...d.getBytesNoCopy()]).toEqual([1, 2, 3]);
    d.appendBytes([4, 5]);
    expect(d.getLength()).toBe(5);
    expect(d.isEqualTo(OSData.withBytes([1, 2, 3, 4, 5]))).toBe(true);
    expect(d.isEqualTo(OSData.withBytes([1, 2, 3, 4]))).toBe(false);
    expect(() => OSData.withBytes('nope' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('deep equality on shared structure', () => {
  test('compares a DAG with 2^40 paths quickly', () => {
    let a: OSObject = OSNumber.withNumber(1, 8);
    let b: OSObject = OSNumber.withNumber(1, 8);
    for (let i = 0; i < 40; i++) {
      a = OSArray.withObjects([a, a]);
      b = OSArray.withObjects([b, b]);
    }
    expect(a.isEqualTo(b)).toBe(true);
  });
});
