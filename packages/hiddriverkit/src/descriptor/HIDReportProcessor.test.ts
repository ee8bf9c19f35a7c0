import { HIDReportProcessor } from './HIDReportProcessor';
import { parseReportDescriptor } from './HIDReportDescriptor';
import type { IOHIDElement } from '../IOHIDElement';

// The boot keyboard (HID 1.11 Appendix B.1): 8 modifier bits, a reserved byte, 6 key slots; and a
// second, numbered report of one 8-bit variable, to show that reports stamp only their own elements.
const keyboard = Uint8Array.from([
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x85, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02,
  0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00,
  0x85, 0x02, 0x06, 0x00, 0xff, 0x09, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x01, 0x81, 0x02, 0xc0,
]);

// Elements hold state: each test parses its own descriptor.
function parse() {
  const d = parseReportDescriptor(keyboard);
  const one = d.reports.find((r) => r.type === 'input' && r.reportID === 1)!;
  const two = d.reports.find((r) => r.type === 'input' && r.reportID === 2)!;
  const keys = one.elements.find((e) => e.arrayItems)!.arrayItems!;
  return {
    d,
    shift: one.elements.find((e) => e.getUsage() === 0xe1)!,
    key: (usage: number) => keys.find((k) => k.getUsage() === usage)!,
    vendor: two.elements.find((e) => !e.isConstant())!,
  };
}
const names = (changed: readonly IOHIDElement[]) => changed.map((e) => `${e.getUsage().toString(16)}=${e.getValue()}`);

describe('HIDReportProcessor', () => {
  test('each report stamps its own variable elements, changed or not, and no other report’s', () => {
    const { d, shift, vendor } = parse();
    const p = new HIDReportProcessor(d);
    p.process('input', Uint8Array.of(1, 0x02, 0, 0, 0, 0, 0, 0, 0), 10n);
    expect(shift.getValue()).toBe(1);
    expect(shift.getTimeStamp()).toBe(10n);
    p.process('input', Uint8Array.of(2, 7), 11n);
    expect(vendor.getTimeStamp()).toBe(11n);
    expect(shift.getTimeStamp()).toBe(10n);
    p.process('input', Uint8Array.of(1, 0x02, 0, 0, 0, 0, 0, 0, 0), 12n);
    expect(names(p.changed)).toEqual([]);
    expect(shift.getTimeStamp()).toBe(12n);
    expect(shift.getValue(2)).toBe(1);
  });

  test('array items: pressed, held and released each stamp the item; untouched items keep their stamp', () => {
    const { d, key } = parse();
    const p = new HIDReportProcessor(d);
    p.process('input', Uint8Array.of(1, 0, 0, 0x04, 0, 0, 0, 0, 0), 20n);
    expect(names(p.changed)).toEqual(['4=1']);
    p.process('input', Uint8Array.of(1, 0, 0, 0x05, 0x04, 0x05, 0, 0, 0), 21n);
    // A usage repeated in one report is one press.
    expect(names(p.changed)).toEqual(['5=1']);
    expect([key(4).getTimeStamp(), key(5).getTimeStamp()]).toEqual([21n, 21n]);
    p.process('input', Uint8Array.of(1, 0, 0, 0x05, 0, 0, 0, 0, 0), 22n);
    expect(names(p.changed)).toEqual(['4=0']);
    expect([key(4).getTimeStamp(), key(5).getTimeStamp(), key(6).getTimeStamp()]).toEqual([22n, 22n, 0n]);
    p.process('input', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0), 23n);
    expect(names(p.changed)).toEqual(['5=0']);
    p.process('input', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0), 24n);
    expect(names(p.changed)).toEqual([]);
    expect(key(5).getTimeStamp()).toBe(23n);
  });

  test('ErrorRollOver in a slot leaves every key as it was', () => {
    const { d, key } = parse();
    const p = new HIDReportProcessor(d);
    p.process('input', Uint8Array.of(1, 0, 0, 0x04, 0, 0, 0, 0, 0), 30n);
    p.process('input', Uint8Array.of(1, 0, 0, 0x07, 0x01, 0, 0, 0, 0), 31n);
    expect(names(p.changed)).toEqual([]);
    expect([key(4).getValue(), key(7).getValue(), key(4).getTimeStamp()]).toEqual([1, 0, 30n]);
    p.process('input', Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0), 32n);
    expect(names(p.changed)).toEqual(['4=0']);
  });

  test('a second processor of the same descriptor stamps the same elements', () => {
    const { d, vendor } = parse();
    const first = new HIDReportProcessor(d);
    const second = new HIDReportProcessor(d);
    first.process('input', Uint8Array.of(2, 1), 40n);
    expect([vendor.getValue(), vendor.getTimeStamp()]).toEqual([1, 40n]);
    second.process('input', Uint8Array.of(2, 2), 41n);
    expect([vendor.getValue(), vendor.getTimeStamp()]).toEqual([2, 41n]);
  });
});
