import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  IOReturnError,
  OSArray,
  OSBoolean,
  OSData,
  OSDictionary,
  OSNumber,
  OSRequiredCast,
  OSSerializeBinary,
  OSSerializeXML,
  OSSet,
  OSString,
  OSUnserializeBinary,
  OSUnserializeXML,
  fromOSObject,
  isIOReturnError,
  kIOReturnBadArgument,
  kIOReturnNotFound,
  kIOReturnUnsupported,
  readPropertyListFile,
  toOSObject,
} from '../index';

const fixture = join(__dirname, '../../test/fixtures/Info.plist');

describe('reading an Apple-style Info.plist', () => {
  const info = OSRequiredCast(OSDictionary, readPropertyListFile(fixture));
  const personalities = OSRequiredCast(OSDictionary, info.getObject('IOKitPersonalities'));

  test('keeps keys in file order and nested dictionaries intact', () => {
    expect([...personalities.keys()]).toEqual(['NullDriver', 'XboxOneInputInterface']);
    const nullDriver = OSRequiredCast(OSDictionary, personalities.getObject('NullDriver'));
    expect(OSRequiredCast(OSString, nullDriver.getObject('IOProviderClass')).getCStringNoCopy()).toBe('IOUserResources');
    expect(fromOSObject(nullDriver.getObject('UserClientProperties')!)).toEqual({ IOClass: 'IOUserUserClient', IOUserClass: 'NullDriver' });
  });

  test('integers are exact OSNumbers, hex and negative included', () => {
    const xbox = OSRequiredCast(OSDictionary, personalities.getObject('XboxOneInputInterface'));
    expect(OSRequiredCast(OSNumber, xbox.getObject('idVendor')).unsigned16BitValue()).toBe(1118);
    expect(OSRequiredCast(OSNumber, xbox.getObject('IOProbeScore')).value()).toBe(-1000);
    expect(fromOSObject(xbox.getObject('idProductArray')!)).toEqual([746, 746]);
    expect(xbox.getObject('IOUserServerOneProcess')).toBe(OSBoolean.withBoolean(true));
    expect(OSRequiredCast(OSNumber, info.getObject('SessionCookie')).unsigned64BitValue()).toBe(0xffff_ffff_ffff_ffffn);
  });

  test('entities, data, reals and empty elements', () => {
    expect(OSRequiredCast(OSString, info.getObject('OSBundleUsageDescription')).getCStringNoCopy()).toBe('A <null> driver & its "client" \u2014 no hardware');
    expect([...OSRequiredCast(OSData, info.getObject('Blob')).getBytesNoCopy()]).toEqual([0, 1, 2, 255]);
    expect(OSRequiredCast(OSNumber, info.getObject('Ratio')).doubleValue()).toBe(0.5);
    expect(OSRequiredCast(OSDictionary, info.getObject('Empty')).getCount()).toBe(0);
  });

  test('writes back to a document that reads as equal, and survives OSSerializeBinary', () => {
    const xml = OSSerializeXML(info);
    expect(OSUnserializeXML(xml).isEqualTo(info)).toBe(true);
    expect(OSUnserializeBinary(OSSerializeBinary(info)).isEqualTo(info)).toBe(true);
  });
});

describe('writing', () => {
  test('matches CoreFoundation\'s layout', () => {
    const xml = OSSerializeXML({ a: 1, b: [true, 'x<y'], c: {}, d: new Uint8Array([1, 2]), e: -2, f: 1.25 });
    expect(xml).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
        '<plist version="1.0">',
        '<dict>',
        '\t<key>a</key>',
        '\t<integer>1</integer>',
        '\t<key>b</key>',
        '\t<array>',
        '\t\t<true/>',
        '\t\t<string>x&lt;y</string>',
        '\t</array>',
        '\t<key>c</key>',
        '\t<dict/>',
        '\t<key>d</key>',
        '\t<data>',
        '\tAQI=',
        '\t</data>',
        '\t<key>e</key>',
        '\t<integer>-2</integer>',
        '\t<key>f</key>',
        '\t<real>1.25</real>',
        '</dict>',
        '</plist>',
        '',
      ].join('\n'),
    );
  });

  test('an OSSet is written as an array', () => {
    expect(OSSerializeXML(OSSet.withObjects(['a']))).toContain('<array>\n\t<string>a</string>\n</array>');
  });

  test('round-trips arbitrary values', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.boolean(),
        fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }).map((b) => OSNumber.withNumber(b, 64)),
        fc.double().map((d) => OSNumber.withDouble(d)),
        fc.uint8Array({ maxLength: 100 }),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const o = toOSObject(v as never);
        expect(OSUnserializeXML(OSSerializeXML(o)).isEqualTo(o)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the kernel\'s dialect', () => {
  test('ID/IDREF share objects, size sets the width, <set> is an OSSet', () => {
    const o = OSRequiredCast(
      OSDictionary,
      OSUnserializeXML('<dict><key>a</key><string ID="0">shared</string><key>b</key><string IDREF="0"/><key>n</key><integer size="16">0xffff</integer><key>s</key><set><true/></set></dict>'),
    );
    expect(o.getObject('a')).toBe(o.getObject('b'));
    expect(OSRequiredCast(OSNumber, o.getObject('n')).numberOfBits()).toBe(16);
    expect(OSRequiredCast(OSSet, o.getObject('s')).getCount()).toBe(1);
    expect(OSRequiredCast(OSArray, OSUnserializeXML('<array><string>&#65;&#x42;</string><string><![CDATA[<raw>]]></string></array>')).getCount()).toBe(2);
  });
});

describe('malformed property lists', () => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['unclosed dict', '<plist><dict><key>a</key><string>x</string>', kIOReturnBadArgument, /line 1 column 44: the document ends early/],
    ['key without value', '<dict>\n<key>a</key>\n</dict>', kIOReturnBadArgument, /line 3 column 1: the key "a" has no value/],
    ['value without key', '<dict><string>x</string></dict>', kIOReturnBadArgument, /expected <key> or <\/dict>/],
    ['bad integer', '<integer>12a</integer>', kIOReturnBadArgument, /<integer>12a<\/integer> is not an integer/],
    ['integer past 64 bits', '<integer>18446744073709551616</integer>', kIOReturnBadArgument, /does not fit in 64 bits/],
    ['integer past its size', '<integer size="8">256</integer>', kIOReturnBadArgument, /does not fit in 8 bits/],
    ['bad base64', '<data>@@@@</data>', kIOReturnBadArgument, /not valid base64/],
    ['bad real', '<real>fast</real>', kIOReturnBadArgument, /is not a number/],
    ['unknown element', '<dictionary/>', kIOReturnBadArgument, /<dictionary> is not a property-list element/],
    ['date', '<date>2020-01-01T00:00:00Z</date>', kIOReturnUnsupported, /<date> has no OS\* type/],
    ['dangling IDREF', '<array><string IDREF="3"/></array>', kIOReturnBadArgument, /IDREF="3" names no earlier ID/],
    ['stray ampersand', '<string>a & b</string>', kIOReturnBadArgument, /unescaped "&"/],
    ['mismatched close', '<array></dict>', kIOReturnBadArgument, /unexpected <\/dict>/],
    ['two values', '<plist><true/><false/></plist>', kIOReturnBadArgument, /expected <\/plist>, found <false>/],
    ['trailing junk', '<true/>junk', kIOReturnBadArgument, /content after the property list/],
    ['text, not a tag', 'hello', kIOReturnBadArgument, /expected a tag, found "hello"/],
  ];
  test.each(cases)('%s', (_name, xml, code, message) => {
    let caught: unknown;
    try {
      OSUnserializeXML(xml);
    } catch (e) {
      caught = e;
    }
    expect(isIOReturnError(caught)).toBe(true);
    expect((caught as IOReturnError).code).toBe(code);
    expect((caught as IOReturnError).message).toMatch(message);
  });

  test('deep nesting is refused, not a stack overflow', () => {
    expect(() => OSUnserializeXML('<array>'.repeat(10000) + '</array>'.repeat(10000))).toThrow(/nesting deeper than 256/);
  });

  test('file errors name the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'plist-'));
    const broken = join(dir, 'Broken.plist');
    writeFileSync(broken, '<plist>\n<dict>\n<key>x</key>\n</plist>');
    expect(() => readPropertyListFile(broken)).toThrow(new RegExp(`${broken.replace(/[.]/g, '\\.')}: property list, line 4 column 1`));
    let caught: unknown;
    try {
      readPropertyListFile(join(dir, 'missing.plist'));
    } catch (e) {
      caught = e;
    }
    expect((caught as IOReturnError).code).toBe(kIOReturnNotFound);
    expect((caught as IOReturnError).osError).toBe('ENOENT');
  });

  test('random corruption only ever raises IOReturnError', () => {
    const xml = OSSerializeXML(readPropertyListFile(fixture));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.constantFrom('<', '>', '/', '&', 'x', '"', ' ', '')), { minLength: 1, maxLength: 5 }), (edits) => {
        let s = xml;
        for (const [at, c] of edits) {
          const i = at % s.length;
          s = s.slice(0, i) + c + s.slice(i + 1);
        }
        try {
          OSUnserializeXML(s);
        } catch (e) {
          if (!isIOReturnError(e)) throw e;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
