import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, kIOReturnDeviceError } from '@driverkit/driverkit';
import { PCIConfigSnapshot, decodePCIConfig, extendedCapabilities, findCapability, parsePCIConfigDump, standardCapabilities } from '../src/index';
import { compareWithLspci, lspci, parseLspci } from './lspci';

const data = join(__dirname, '../../../../shared/data/pci');
const dumps = [...readdirSync(join(data, 'pciutils/tests')).map((f) => join(data, 'pciutils/tests', f)), join(data, 'hwdata/lspci-dump.txt')];

describe.each(dumps.map((path) => [path.slice(data.length + 1), path]))('the dump %s', (_name, path) => {
  const functions = parsePCIConfigDump(readFileSync(path, 'utf8'));

  test('decodes as Debian\'s lspci decodes the same bytes, field by field', () => {
    const theirs = parseLspci(lspci(['-F', path]));
    const bdf = (f: (typeof functions)[number]) => `${f.domain ? `${f.domain.toString(16).padStart(4, '0')}:` : ''}${[f.bus, f.device].map((n) => n.toString(16).padStart(2, '0')).join(':')}.${f.function}`;
    expect(theirs.map((l) => l.bdf).sort()).toEqual(functions.map(bdf).sort());
    const diffs = theirs.flatMap((l) => compareWithLspci(l, decodePCIConfig(new PCIConfigSnapshot(functions.find((f) => bdf(f) === l.bdf)!.bytes))));
    expect(diffs).toEqual([]);
  });
});

test('the hwdata laptop dump: each header line\'s IDs, class and revision are the dumped bytes', () => {
  const functions = parsePCIConfigDump(readFileSync(join(data, 'hwdata/lspci-dump.txt'), 'utf8'));
  expect(functions).toHaveLength(26);
  for (const f of functions) {
    const m = /^\S+ ([0-9a-f]{4}): ([0-9a-f]{4}):([0-9a-f]{4})(?: \(rev ([0-9a-f]{2})\))?/.exec(f.title)!;
    const d = decodePCIConfig(new PCIConfigSnapshot(f.bytes));
    expect([d.classCode >> 8, d.vendorID, d.deviceID, d.revisionID]).toEqual([parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16), m[4] ? parseInt(m[4], 16) : 0]);
  }
});

describe('capability lists', () => {
  const aer = parsePCIConfigDump(readFileSync(join(data, 'pciutils/tests/cap-aer-root'), 'utf8'));
  const root = new PCIConfigSnapshot(aer[0]!.bytes);

  test('FindPCICapability walks standard IDs, negated extended IDs, and continues from searchOffset', () => {
    const standard = standardCapabilities(root);
    const extended = extendedCapabilities(root);
    expect(standard.length).toBeGreaterThan(2);
    expect(extended.length).toBeGreaterThan(2);
    for (const c of standard) expect(findCapability(root, c.id)).toBe(standard.find((x) => x.id === c.id)!.offset);
    for (const c of extended) expect(findCapability(root, -c.id >>> 0)).toBe(extended.find((x) => x.id === c.id)!.offset);
    // Every vendor-specific extended capability, one after another, as a port's loop finds them.
    const vendor: number[] = [];
    for (let at = findCapability(root, -0xb >>> 0); at !== 0; at = findCapability(root, -0xb >>> 0, at)) vendor.push(at);
    expect(vendor).toEqual(extended.filter((c) => c.id === 0xb).map((c) => c.offset));
    expect(findCapability(root, 0x3f)).toBe(0);
  });

  /** The root port's bytes with one byte changed. */
  const patched = (offset: number, value: number) => {
    const b = Uint8Array.from(aer[0]!.bytes);
    b[offset] = value;
    return new PCIConfigSnapshot(b);
  };

  test('a capability that points at itself, or back into the list, is refused naming where', () => {
    const first = standardCapabilities(root)[0]!.offset;
    const self = patched(first + 1, first);
    expect(() => findCapability(self, 0x3f)).toThrow(expect.objectContaining({ code: kIOReturnDeviceError, message: expect.stringContaining(`malformed capability list: the pointer at 0x${(first + 1).toString(16)} loops back to 0x${first.toString(16)}`) }));
    const last = standardCapabilities(root).at(-1)!.offset;
    expect(() => standardCapabilities(patched(last + 1, first))).toThrow(/loops back/);
    expect(() => standardCapabilities(patched(last + 1, 0x20))).toThrow(/gives 0x20, outside 0x40–0xff/);
    const ext = extendedCapabilities(root)[0]!;
    const loop = Uint8Array.from(aer[0]!.bytes);
    new DataView(loop.buffer).setUint32(ext.offset, (new DataView(loop.buffer).getUint32(ext.offset, true) & 0xfffff) | (ext.offset << 20), true);
    expect(() => extendedCapabilities(new PCIConfigSnapshot(loop))).toThrow(IOReturnError);
    expect(() => extendedCapabilities(new PCIConfigSnapshot(loop))).toThrow(/extended capability list: the header at 0x100 loops back to 0x100/);
  });

  test('a dump with a gap or too few bytes is refused with its line', () => {
    expect(() => parsePCIConfigDump('00:00.0 Host bridge: x\n00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n20: 00\n')).toThrow(/line 3: offset 0x20 follows 16 bytes/);
    expect(() => parsePCIConfigDump('00:00.0 Host bridge: x\n00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n')).toThrow(/16 bytes, fewer than the 64-byte header/);
  });
});
