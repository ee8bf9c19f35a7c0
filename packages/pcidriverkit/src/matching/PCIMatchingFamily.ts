import { OSBoolean, OSData, OSString, type IOFamilyMatchResult, type IOMatchCheck, type IOMatchingFamily, type IOService, type OSDictionary } from '@driverkit/driverkit';

/** What a PCI match key adds to the score (IOPCIBridge::pciMatchNub); IOPCIClassMatch adds nothing. */
export const kIOPCIMatchScore = 1000;

/** One `value&mask` alternative of a match string. */
export interface PCIMatchAlternative {
  value: number;
  mask: number;
}

/**
 * Parses a match string as IOPCIFamily's matchKeys reads it with strtoul(…, 16): space-separated hex
 * values (with or without 0x), each optionally followed by `&mask`. Throws a message for a string
 * that has something else in it, instead of matching on a prefix as strtoul would.
 */
export function parsePCIMatchString(text: string, defaultMask: number): PCIMatchAlternative[] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) throw new Error('is empty');
  return parts.map((p) => {
    const m = /^(?:0x)?([0-9a-f]{1,8})(?:&(?:0x)?([0-9a-f]{1,8}))?$/i.exec(p);
    if (!m) throw new Error(`has "${p}", not a hex value with an optional &mask`);
    return { value: parseInt(m[1]!, 16) >>> 0, mask: m[2] ? parseInt(m[2], 16) >>> 0 : defaultMask };
  });
}

function le32(provider: IOService, key: string): number | null {
  const v = provider.getProperty(key);
  if (!(v instanceof OSData) || v.getLength() < 4) return null;
  const b = v.getBytesNoCopy();
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
}

/** The config dwords the keys test: 0x00 (device, vendor), 0x2c (subsystem, subsystem vendor), 0x08 (class, revision). */
function registers(provider: IOService): Record<number, number | null> {
  const vendor = le32(provider, 'vendor-id');
  const device = le32(provider, 'device-id');
  const subVendor = le32(provider, 'subsystem-vendor-id');
  const sub = le32(provider, 'subsystem-id');
  const cls = le32(provider, 'class-code');
  const rev = le32(provider, 'revision-id');
  return {
    0x00: vendor !== null && device !== null ? ((device << 16) | vendor) >>> 0 : null,
    0x2c: subVendor !== null && sub !== null ? ((sub << 16) | subVendor) >>> 0 : null,
    0x08: cls !== null && rev !== null ? ((cls << 8) | rev) >>> 0 : null,
  };
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/**
 * The PCI family's matching hook, after IOPCIBridge::pciMatchNub: `IOPCIMatch` tests config dword 0x00
 * or 0x2c, `IOPCIPrimaryMatch` 0x00, `IOPCISecondaryMatch` 0x2c (mask 0xffffffff), `IOPCIClassMatch`
 * 0x08 (mask 0xffffff00); each is a list of alternatives, any of which may match, and every key
 * present must. A Match/Primary/Secondary hit adds 1000 to the score. A tunnelled function (Thunderbolt)
 * needs `IOPCITunnelCompatible`. The same test applies to each dictionary of the
 * `com.apple.developer.driverkit.transport.pci` entitlement.
 */
export const PCIMatchingFamily: IOMatchingFamily = {
  name: 'PCI',
  providerClasses: ['IOPCIDevice'],
  matchPropertyTable(provider: IOService, table: OSDictionary, score: number): IOFamilyMatchResult {
    const checks: IOMatchCheck[] = [];
    const regs = registers(provider);
    let scored = false;
    const test = (key: string, offsets: number[], defaultMask: number) => {
      const prop = table.getObject(key);
      if (prop === null) return;
      if (!(prop instanceof OSString)) {
        checks.push({ key, passed: false, detail: 'must be a string of hex values' });
        return;
      }
      let alternatives: PCIMatchAlternative[];
      try {
        alternatives = parsePCIMatchString(prop.getCStringNoCopy(), defaultMask);
      } catch (e) {
        checks.push({ key, passed: false, detail: `"${prop.getCStringNoCopy()}" ${(e as Error).message}` });
        return;
      }
      const hit = offsets.flatMap((o) => alternatives.filter((a) => regs[o] !== null && ((a.value & a.mask) >>> 0) === ((regs[o]! & a.mask) >>> 0)).map((a) => ({ o, a })))[0];
      const seen = offsets.map((o) => `0x${o.toString(16).padStart(2, '0')}=${regs[o] === null ? 'absent' : hex(regs[o]!)}`).join(', ');
      checks.push({ key, passed: hit !== undefined, detail: hit ? `${hex(hit.a.value)}&${hex(hit.a.mask)} matches config ${seen}` : `none of ${alternatives.map((a) => `${hex(a.value)}&${hex(a.mask)}`).join(' ')} matches config ${seen}` });
      if (hit && key !== 'IOPCIClassMatch') scored = true;
    };
    test('IOPCIMatch', [0x00, 0x2c], 0xffffffff);
    test('IOPCIPrimaryMatch', [0x00], 0xffffffff);
    test('IOPCISecondaryMatch', [0x2c], 0xffffffff);
    test('IOPCIClassMatch', [0x08], 0xffffff00);
    if (provider.getProperty('IOPCITunnelled') instanceof OSBoolean && (provider.getProperty('IOPCITunnelled') as OSBoolean).isTrue()) {
      const ok = table.getObject('IOPCITunnelCompatible');
      checks.push({ key: 'IOPCITunnelCompatible', passed: ok instanceof OSBoolean && ok.isTrue(), detail: 'the function is tunnelled (Thunderbolt): the personality must say IOPCITunnelCompatible = true' });
    }
    const matched = checks.every((c) => c.passed);
    return { matched, score: matched && scored ? score + kIOPCIMatchScore : score, checks };
  },
};
