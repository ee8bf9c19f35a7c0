import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kIOReturnBadArgument } from '@driverkit/driverkit';
import { decodeReport, encodeReport, parseReportDescriptor, type HIDReportDescriptor, type HIDReportInfo, type IOHIDElement } from '../index';

const data = join(__dirname, '../../../../../shared/data/hid');

/** Positions as Packetry writes them: "byte 1 bit 0", "byte 8 bits 0-3", "byte 5", "bytes 2-7", "byte 2 bit 0 — byte 3 bit 3". */
function position(start: number, bits: number): string {
  const end = start + bits - 1;
  const [b0, i0, b1, i1] = [start >> 3, start & 7, end >> 3, end & 7];
  if (bits === 1) return `byte ${b0} bit ${i0}`;
  if (i0 === 0 && i1 === 7) return b0 === b1 ? `byte ${b0}` : `bytes ${b0}-${b1}`;
  if (b0 === b1) return `byte ${b0} bits ${i0}-${i1}`;
  return `byte ${b0} bit ${i0} — byte ${b1} bit ${i1}`;
}

/** Our layout of one report, one line per field, in Packetry's words (without usage names). */
function layout(r: HIDReportInfo): string[] {
  const head = r.reportID ? 8 : 0;
  const lines = [`${r.type[0]!.toUpperCase()}${r.type.slice(1)} report${r.reportID ? ` #${r.reportID}` : ''} (${r.length} byte${r.length === 1 ? '' : 's'})`];
  for (const e of r.elements) {
    const bits = e.getReportSize() * e.getReportCount();
    if (bits === 0) continue;
    const at = position(head + e.bitOffset, bits);
    if (e.isConstant()) lines.push(`Padding: ${at}`);
    else if (e.isArray()) lines.push(`Array of ${e.getReportCount()} button${e.getReportCount() === 1 ? '' : 's'}: ${at}`);
    else {
      const size = e.getReportSize();
      // Packetry prints a range only where it says something: not for single bits or full-width fields.
      const natural = size === 1 || (e.getLogicalMin() === 0 && e.getLogicalMax() === 2 ** size - 1);
      lines.push(`${position(head + e.bitOffset, size)}${natural ? '' : ` (values ${e.getLogicalMin()} to ${e.getLogicalMax()})`}`);
    }
  }
  return lines;
}

/** Packetry's reference.txt, with usage names dropped the same way. */
function reference(text: string): string[][] {
  const reports: string[][] = [];
  for (const line of text.split('\n')) {
    const head = /^○ (.*):$/.exec(line);
    if (head) {
      reports.push([head[1]!]);
      continue;
    }
    const field = /^[├└]── (.*?): (.*?)( \[.*\])?$/.exec(line);
    if (!field) continue;
    const [, name, rest] = field;
    reports[reports.length - 1]!.push(name === 'Padding' || name!.startsWith('Array of') ? `${name}: ${rest}` : rest!);
  }
  return reports;
}

describe('report layouts match Packetry\'s worked examples field for field', () => {
  const names = readFileSync(join(data, 'packetry/tests.txt'), 'utf8').split('\n').filter(Boolean);
  test.each(names)('%s', (name) => {
    const d = parseReportDescriptor(readFileSync(join(data, 'packetry', name, 'descriptor.bin')), 'strict');
    // Packetry's references list input and output reports only.
    const ours = d.reports.filter((r) => r.type !== 'feature').map(layout);
    const theirs = reference(readFileSync(join(data, 'packetry', name, 'reference.txt'), 'utf8'));
    const key = (r: string[]) => r[0]!;
    expect(ours.map(key).sort()).toEqual(theirs.map(key).sort());
    for (const r of theirs) expect(ours.find((o) => key(o) === key(r))).toEqual(r);
  });
});

describe('real descriptors parse (wacom and libinput collections)', () => {
  const files: string[] = [];
  for (const set of ['wacom/descriptors', 'libinput/descriptors']) for (const f of readdirSync(join(data, set))) files.push(join(set, f));

  test('every one, leniently, with reports whose lengths cover their fields', () => {
    expect(files.length).toBeGreaterThan(60);
    // Collected and asserted once: an expect per element (~150,000 of them) took 36 s of a loaded CI run.
    const overruns: string[] = [];
    for (const f of files) {
      const bytes = readFileSync(join(data, f));
      let d: HIDReportDescriptor;
      try {
        d = parseReportDescriptor(bytes, 'lenient');
      } catch (e) {
        throw new Error(`${f}: ${(e as Error).message}`);
      }
      expect(d.reports.length).toBeGreaterThan(0);
      for (const r of d.reports) {
        for (const e of r.elements) {
          const end = e.bitOffset + e.getReportSize() * e.getReportCount();
          if (end > r.bits) overruns.push(`${f}: ${r.type} report ${r.reportID} is ${r.bits} bits, an element ends at bit ${end}`);
        }
      }
    }
    expect(overruns).toEqual([]);
  });
});

describe('malformed descriptors are refused at the offending byte', () => {
  test.each([
    ['an item cut short', [0x05, 0x01, 0x26, 0xff], /item 0x26 declares 2 data bytes but 1 remain at byte 2/],
    ['End Collection without a collection', [0xc0], /End Collection without an open collection at byte 0/],
    ['an unclosed collection', [0x05, 0x01, 0x09, 0x02, 0xa1, 0x01], /ends inside an open collection at byte 6/],
    ['Pop without Push', [0xb4], /Pop without a matching Push at byte 0/],
    ['Report ID 0', [0x85, 0x00], /Report ID 0 is not 1 to 255 at byte 0/],
    ['an oversized Report Size', [0x76, 0x01, 0x02], /Report Size 513 is larger than 256 at byte 0/],
    ['an unknown global item', [0xf4], /unknown global item tag 0xf at byte 0/],
  ])('%s', (_what, bytes, message) => {
    for (const mode of ['strict', 'lenient'] as const) {
      expect(() => parseReportDescriptor(Uint8Array.from(bytes), mode)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(message) }));
    }
  });

  test('strict mode refuses what Linux skips; lenient mode skips it and says so', () => {
    const longItem = [0xfe, 0x02, 0x10, 0xaa, 0xbb, 0x05, 0x01];
    expect(() => parseReportDescriptor(Uint8Array.from(longItem), 'strict')).toThrow(/long item \(tag 0x10\) at byte 0/);
    expect(parseReportDescriptor(Uint8Array.from(longItem), 'lenient').skipped).toEqual(['long item (tag 0x10) at byte 0']);
    const reserved = [0x0c, 0x05, 0x01];
    expect(() => parseReportDescriptor(Uint8Array.from(reserved), 'strict')).toThrow(/reserved item type \(prefix 0xc\) at byte 0/);
    expect(parseReportDescriptor(Uint8Array.from(reserved), 'lenient').skipped).toHaveLength(1);
  });
});

describe('element tree and report codec', () => {
  const mouse = parseReportDescriptor(readFileSync(join(data, 'packetry/mouse/descriptor.bin')));

  test('collections, usages and extended usages', () => {
    const app = mouse.root.getChildElements()[0]!;
    expect([app.getUsagePage(), app.getUsage(), app.getCollectionType()]).toEqual([0x01, 0x02, 1]);
    const all: IOHIDElement[] = [];
    const walk = (e: IOHIDElement) => e.getChildElements().forEach((c) => (all.push(c), walk(c)));
    walk(mouse.root);
    const x = all.find((e) => e.getUsagePage() === 1 && e.getUsage() === 0x30)!;
    expect([x.getReportSize(), x.getLogicalMin(), x.getLogicalMax(), x.isRelative(), x.getReportID()]).toEqual([12, -2047, 2047, true, 1]);
    expect(x.getParentElement()!.getCollectionType()).toBe(0); // the pointer's physical collection
  });

  test('decodes signed 12-bit values at odd bit offsets, and encodes what it decodes', () => {
    const input = mouse.reports.find((r) => r.type === 'input')!;
    const values = new Map<IOHIDElement, number>();
    const x = input.elements.find((e) => e.getUsage() === 0x30 && e.getUsagePage() === 1)!;
    const y = input.elements.find((e) => e.getUsage() === 0x31 && e.getUsagePage() === 1)!;
    const button2 = input.elements.find((e) => e.getUsagePage() === 9 && e.getUsage() === 2)!;
    values.set(x, -5).set(y, 2047).set(button2, 1);
    // The codec encodes any report type; here the input report, as a virtual device sends it.
    const bytes = encodeReport(mouse, 'input', 1, values);
    expect(bytes.length).toBe(7);
    const decoded = decodeReport(mouse, 'input', bytes);
    const v = (e: IOHIDElement) => decoded.find((d) => d.element === e)!.value;
    expect([v(x), v(y), v(button2)]).toEqual([-5, 2047, 1]);
    expect(() => encodeReport(mouse, 'input', 1, new Map([[x, 3000]]))).toThrow(/outside the logical range -2047…2047/);
    expect(() => decodeReport(mouse, 'input', Uint8Array.of(1, 2))).toThrow(/is 7 bytes; got 2/);
  });

  test('array fields report the usages of the pressed keys', () => {
    const kbd = parseReportDescriptor(readFileSync(join(data, 'packetry/keyboard-0/descriptor.bin')));
    const decoded = decodeReport(kbd, 'input', Uint8Array.of(0x02, 0, 0x04, 0x05, 0, 0, 0, 0));
    const keys = decoded.find((d) => d.element.isArray())!;
    expect(keys.usages).toEqual([0x70004, 0x70005]);
    const shift = decoded.find((d) => d.element.getUsage() === 0xe1)!;
    expect(shift.value).toBe(1);
  });
});
