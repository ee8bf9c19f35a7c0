import { extendedCapabilities, standardCapabilities, type PCICapability, type PCIConfigReader } from './PCIConfigSpace';

/** One base address register as the header gives it, with the size the OS assigned where known. */
export interface PCIBARDecode {
  index: number;
  space: 'memory' | 'io';
  address: bigint;
  is64: boolean;
  prefetchable: boolean;
  /** From sysfs `resource` or a device model; unknown for a bare dump. */
  size?: bigint;
}

export interface PCIMSIDecode {
  offset: number;
  enabled: boolean;
  /** Vectors enabled (Multiple Message Enable) and capable (Multiple Message Capable). */
  vectorsEnabled: number;
  vectorsCapable: number;
  is64: boolean;
  maskable: boolean;
}

export interface PCIMSIXDecode {
  offset: number;
  enabled: boolean;
  functionMask: boolean;
  tableSize: number;
  tableBAR: number;
  tableOffset: number;
  pbaBAR: number;
  pbaOffset: number;
}

/** What the configuration header and capabilities of one function say, decoded. */
export interface PCIConfigDecode {
  vendorID: number;
  deviceID: number;
  command: number;
  status: number;
  revisionID: number;
  /** Base class, subclass and programming interface, as the 24 bits at 0x09. */
  classCode: number;
  headerType: number;
  multiFunction: boolean;
  subsystemVendorID: number | null;
  subsystemID: number | null;
  interruptPin: number;
  interruptLine: number;
  bars: PCIBARDecode[];
  capabilities: PCICapability[];
  msi: PCIMSIDecode | null;
  msix: PCIMSIXDecode | null;
  /** Power Management capability version, or null without one. */
  powerManagementVersion: number | null;
  /** PCI Express capability version and device/port type, or null for conventional PCI. */
  express: { version: number; type: number } | null;
}

const standardNames: Record<number, string> = {
  0x00: 'Null',
  0x01: 'Power Management',
  0x02: 'AGP',
  0x03: 'Vital Product Data',
  0x04: 'Slot ID',
  0x05: 'MSI',
  0x06: 'CompactPCI hot-swap',
  0x07: 'PCI-X',
  0x08: 'HyperTransport',
  0x09: 'Vendor Specific Information',
  0x0a: 'Debug port',
  0x0b: 'CompactPCI central resource control',
  0x0c: 'Hot-plug capable',
  0x0d: 'Subsystem',
  0x0e: 'AGP3',
  0x0f: 'Secure device',
  0x10: 'Express',
  0x11: 'MSI-X',
  0x12: 'SATA HBA',
  0x13: 'PCI Advanced Features',
  0x14: 'Enhanced Allocation',
  0x15: 'Flattening Portal Bridge',
};

const extendedNames: Record<number, string> = {
  0x01: 'Advanced Error Reporting',
  0x02: 'Virtual Channel',
  0x03: 'Device Serial Number',
  0x04: 'Power Budgeting',
  0x05: 'Root Complex Link',
  0x06: 'Root Complex Internal Link',
  0x07: 'Root Complex Event Collector',
  0x08: 'Multi-Function Virtual Channel',
  0x09: 'Virtual Channel',
  0x0a: 'Root Complex Register Block',
  0x0b: 'Vendor Specific Information',
  0x0d: 'Access Control Services',
  0x0e: 'Alternative Routing-ID Interpretation (ARI)',
  0x0f: 'Address Translation Service (ATS)',
  0x10: 'Single Root I/O Virtualization (SR-IOV)',
  0x12: 'Multicast',
  0x13: 'Page Request Interface (PRI)',
  0x15: 'Physical Resizable BAR',
  0x17: 'Transaction Processing Hints',
  0x18: 'Latency Tolerance Reporting',
  0x19: 'Secondary PCI Express',
  0x1b: 'Process Address Space ID (PASID)',
  0x1d: 'Downstream Port Containment',
  0x1e: 'L1 PM Substates',
  0x1f: 'Precision Time Measurement',
  0x23: 'Designated Vendor-Specific',
  0x25: 'Data Link Feature',
  0x26: 'Physical Layer 16.0 GT/s',
  0x27: 'Lane Margining at the Receiver',
};

/** The name PCI-SIG (and lspci) gives a capability ID, or null for one this table lacks. */
export function capabilityName(cap: Pick<PCICapability, 'id' | 'extended'>): string | null {
  return (cap.extended ? extendedNames : standardNames)[cap.id] ?? null;
}

/** Decodes the BARs of a type 0 (six) or type 1 (two) header. */
export function decodeBARs(r: PCIConfigReader, sizes: ReadonlyArray<bigint | undefined> = []): PCIBARDecode[] {
  const count = (r.read8(0x0e) & 0x7f) === 1 ? 2 : (r.read8(0x0e) & 0x7f) === 0 ? 6 : 0;
  const bars: PCIBARDecode[] = [];
  for (let i = 0; i < count; i++) {
    const low = r.read32(0x10 + i * 4) >>> 0;
    const size = sizes[i];
    if (low & 1) {
      if (low !== 0 || size) bars.push({ index: i, space: 'io', address: BigInt((low & ~3) >>> 0), is64: false, prefetchable: false, ...(size ? { size } : {}) });
      continue;
    }
    const is64 = ((low >>> 1) & 3) === 2;
    const high = is64 && i + 1 < count ? BigInt(r.read32(0x10 + (i + 1) * 4) >>> 0) : 0n;
    const address = (high << 32n) | BigInt((low & 0xfffffff0) >>> 0);
    if (low !== 0 || high !== 0n || size) bars.push({ index: i, space: 'memory', address, is64, prefetchable: (low & 8) !== 0, ...(size ? { size } : {}) });
    if (is64) i++;
  }
  return bars;
}

/**
 * Decodes a function's header and capabilities (`sizes`: BAR sizes where the OS knows them). Throws
 * kIOReturnDeviceError for a malformed capability list.
 */
export function decodePCIConfig(r: PCIConfigReader, sizes: ReadonlyArray<bigint | undefined> = []): PCIConfigDecode {
  const headerType = r.read8(0x0e) & 0x7f;
  const capabilities = [...standardCapabilities(r), ...extendedCapabilities(r)];
  const first = (id: number) => capabilities.find((c) => !c.extended && c.id === id);
  let subsystemVendorID: number | null = null;
  let subsystemID: number | null = null;
  if (headerType === 0) {
    subsystemVendorID = r.read16(0x2c);
    subsystemID = r.read16(0x2e);
  } else {
    const ssvid = first(0x0d);
    if (ssvid) {
      subsystemVendorID = r.read16(ssvid.offset + 4);
      subsystemID = r.read16(ssvid.offset + 6);
    }
  }
  const msiCap = first(0x05);
  const msi = msiCap
    ? (() => {
        const control = r.read16(msiCap.offset + 2);
        return { offset: msiCap.offset, enabled: (control & 1) !== 0, vectorsEnabled: 1 << ((control >> 4) & 7), vectorsCapable: 1 << ((control >> 1) & 7), is64: (control & 0x80) !== 0, maskable: (control & 0x100) !== 0 };
      })()
    : null;
  const msixCap = first(0x11);
  const msix = msixCap
    ? (() => {
        const control = r.read16(msixCap.offset + 2);
        const table = r.read32(msixCap.offset + 4) >>> 0;
        const pba = r.read32(msixCap.offset + 8) >>> 0;
        return { offset: msixCap.offset, enabled: (control & 0x8000) !== 0, functionMask: (control & 0x4000) !== 0, tableSize: (control & 0x7ff) + 1, tableBAR: table & 7, tableOffset: (table & ~7) >>> 0, pbaBAR: pba & 7, pbaOffset: (pba & ~7) >>> 0 };
      })()
    : null;
  const pm = first(0x01);
  const expressCap = first(0x10);
  const expressFlags = expressCap ? r.read16(expressCap.offset + 2) : 0;
  return {
    vendorID: r.read16(0x00),
    deviceID: r.read16(0x02),
    command: r.read16(0x04),
    status: r.read16(0x06),
    revisionID: r.read8(0x08),
    classCode: (r.read32(0x08) >>> 8) & 0xffffff,
    headerType,
    multiFunction: (r.read8(0x0e) & 0x80) !== 0,
    subsystemVendorID,
    subsystemID,
    interruptPin: r.read8(0x3d),
    interruptLine: r.read8(0x3c),
    bars: decodeBARs(r, sizes),
    capabilities,
    msi,
    msix,
    powerManagementVersion: pm ? r.read16(pm.offset + 2) & 7 : null,
    express: expressCap ? { version: expressFlags & 0xf, type: (expressFlags >> 4) & 0xf } : null,
  };
}
