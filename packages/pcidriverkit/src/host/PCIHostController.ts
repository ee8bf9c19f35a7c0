import { kIOUserServerRootReasonKey, type IOServiceHost, type OSValue } from '@driverkit/driverkit';
import type { PCIEnumerator, PCIFunctionInfo } from '../backend/PCIBackend';
import { decodePCIConfig, type PCIConfigDecode } from '../config/PCIConfigDecode';
import { PCIConfigSnapshot } from '../config/PCIConfigSpace';
import { IOPCIDevice, kIOPCIBackendKey, kIOPCIDeviceMemoryKey, kIOPCILocatorKey } from '../IOPCIDevice';
import { kIOPCITransportEntitlement, kPCIBARTypeIO, kPCIBARTypeM32, kPCIBARTypeM32PF, kPCIBARTypeM64, kPCIBARTypeM64PF } from '../PCIDriverKitConstants';

const le32 = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

// The driver process opens its function itself (see PCIDeviceOpeners); through these backends only root may.
const ROOT_REASONS: Record<string, string> = {
  sysfs: "a function's config space past 64 bytes needs CAP_SYS_ADMIN, and its BARs' resource files are root's",
  vfio: "the function's VFIO group and container are root's, and mapping DMA locks memory",
};

/**
 * The registry properties of a PCI function, as IOPCIFamily publishes them: `vendor-id`, `device-id`,
 * `revision-id`, `class-code`, `subsystem-vendor-id` and `subsystem-id` as 4-byte little-endian data
 * (what IOPCIMatch and friends compare), `IOPCIAddress` (domain:bus:device:function), the BARs, and the
 * transport entitlement a driver needs to match it.
 */
export function pciNubProperties(info: PCIFunctionInfo, backend: string, d: PCIConfigDecode): Record<string, OSValue> {
  const hex = (n: number) => n.toString(16);
  return {
    'vendor-id': le32(d.vendorID),
    'device-id': le32(d.deviceID),
    'revision-id': le32(d.revisionID),
    'class-code': le32(d.classCode),
    ...(d.subsystemVendorID !== null ? { 'subsystem-vendor-id': le32(d.subsystemVendorID), 'subsystem-id': le32(d.subsystemID ?? 0) } : {}),
    IOPCIAddress: `${hex(info.domain)}:${hex(info.bus)}:${hex(info.device)}:${info.function}`,
    IOPCIConfigLength: info.config.length,
    [kIOPCIDeviceMemoryKey]: d.bars.map((b) => ({
      IOPCIBARIndex: b.index,
      IOPCIBARType: b.space === 'io' ? kPCIBARTypeIO : b.is64 ? (b.prefetchable ? kPCIBARTypeM64PF : kPCIBARTypeM64) : b.prefetchable ? kPCIBARTypeM32PF : kPCIBARTypeM32,
      IOPCIBARSize: b.size ?? 0n,
    })),
    [kIOPCIBackendKey]: backend,
    ...(ROOT_REASONS[backend] ? { [kIOUserServerRootReasonKey]: ROOT_REASONS[backend] } : {}),
    [kIOPCILocatorKey]: { ...info.locator },
    IOServiceDEXTEntitlements: [[kIOPCITransportEntitlement]],
  };
}

/**
 * Publishes an IOPCIDevice nub for every function its enumerators list, and terminates the nub of
 * one that goes (hotplug, a virtual device unplugged): its driver is stopped as on a surprise removal.
 */
export class PCIHostController {
  readonly #published = new Map<string, IOPCIDevice>();
  readonly #unwatch: Array<() => void> = [];

  constructor(
    readonly host: IOServiceHost,
    readonly enumerators: PCIEnumerator[],
  ) {}

  start(): void {
    for (const e of this.enumerators) {
      this.sync(e);
      this.#unwatch.push(e.watch(() => this.sync(e)));
    }
  }

  /** Publishes what is new and terminates what went away. */
  sync(e: PCIEnumerator): void {
    const present = e.list();
    // The backend is part of the key: a function rebound from its kernel driver to vfio-pci is a new nub.
    const keyOf = (f: PCIFunctionInfo) => `${e.name}:${f.backend ?? e.name}:${f.id}`;
    const keys = new Set(present.map(keyOf));
    for (const [key, nub] of this.#published) {
      if (key.startsWith(`${e.name}:`) && !keys.has(key)) {
        this.#published.delete(key);
        void nub.Terminate();
      }
    }
    for (const f of present) {
      const key = keyOf(f);
      if (this.#published.has(key)) continue;
      try {
        this.#published.set(key, this.#publish(f.backend ?? e.name, f));
      } catch (err) {
        this.host.options.log(`PCI: ${e.name} function ${f.id} is not published: ${(err as Error).message}`);
      }
    }
  }

  #publish(backend: string, f: PCIFunctionInfo): IOPCIDevice {
    const d = decodePCIConfig(new PCIConfigSnapshot(f.config), f.barSizes);
    const nub = new IOPCIDevice();
    nub.setName(`pci${d.vendorID.toString(16)},${d.deviceID.toString(16)}`);
    nub.setLocation(f.function ? `${f.device.toString(16)},${f.function.toString(16)}` : f.device.toString(16));
    for (const [k, v] of Object.entries(pciNubProperties(f, backend, d))) nub.setProperty(k, v);
    this.host.publishNub(nub);
    nub.release();
    return nub;
  }

  async stop(): Promise<void> {
    for (const u of this.#unwatch.splice(0)) u();
    const nubs = [...this.#published.values()];
    this.#published.clear();
    await Promise.all(nubs.map((n) => n.Terminate()));
  }
}
