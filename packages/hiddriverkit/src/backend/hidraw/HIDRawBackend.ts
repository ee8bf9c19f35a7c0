import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { IOReturnError, kIOReturnNoDevice, kIOReturnNotFound, kIOReturnNotPrivileged, kIOReturnUnsupported } from '@driverkit/driverkit';
import { parseReportDescriptor } from '../../descriptor/HIDReportDescriptor';
import type { HIDBackend, HIDDeviceDescription, HIDDeviceHandle } from '../HIDBackend';

/** The parts of node-hid this backend uses (its real module, or a stand-in in unit tests). */
export interface NodeHIDModule {
  devicesAsync(): Promise<Array<{ path?: string; vendorId: number; productId: number; release: number; manufacturer?: string; product?: string; serialNumber?: string }>>;
  HIDAsync: {
    open(path: string): Promise<{
      on(event: 'data', listener: (data: Buffer) => void): unknown;
      on(event: 'error', listener: (error: Error) => void): unknown;
      write(values: number[] | Buffer): Promise<number>;
      sendFeatureReport(data: number[] | Buffer): Promise<number>;
      getFeatureReport(reportID: number, length: number): Promise<Buffer>;
      close(): Promise<void>;
    }>;
  };
}

// Linux BUS_* numbers (HID_ID in uevent) to Apple's Transport strings.
const TRANSPORTS: Record<number, string> = { 0x03: 'USB', 0x05: 'Bluetooth', 0x18: 'I2C', 0x1c: 'SPI', 0x06: 'Virtual', 0x01: 'PCI' };

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * HID devices the kernel drives, through hidraw and node-hid's HIDAsync. node-hid has no getter for
 * the report descriptor, so it comes from sysfs (`/sys/class/hidraw/<node>/device/report_descriptor`),
 * as do the bus (Transport) and the physical path (LocationID). Kept thin: the guest tier proves it.
 */
export class HIDRawBackend implements HIDBackend {
  readonly name = 'hidraw';

  constructor(
    private readonly hid: NodeHIDModule,
    private readonly sysfs = '/sys/class/hidraw',
  ) {}

  /** The backend over the real node-hid module. */
  static async create(): Promise<HIDRawBackend> {
    const hid = (await import('node-hid')) as unknown as NodeHIDModule;
    return new HIDRawBackend(hid);
  }

  async list(): Promise<HIDDeviceDescription[]> {
    const seen = new Set<string>();
    const out: HIDDeviceDescription[] = [];
    for (const d of await this.hid.devicesAsync()) {
      // hidapi may list a device once per top-level collection; the node is the device.
      if (!d.path || seen.has(d.path)) continue;
      seen.add(d.path);
      try {
        out.push(this.#describe(d));
      } catch {
        // A device that vanished between listing and reading sysfs.
      }
    }
    return out;
  }

  #describe(d: Awaited<ReturnType<NodeHIDModule['devicesAsync']>>[number]): HIDDeviceDescription {
    const node = join(this.sysfs, basename(d.path!), 'device');
    const uevent = readFileSync(join(node, 'uevent'), 'utf8');
    const bus = parseInt(/^HID_ID=([0-9a-fA-F]+):/m.exec(uevent)?.[1] ?? '0', 16);
    const phys = /^HID_PHYS=(.*)$/m.exec(uevent)?.[1] ?? d.path!;
    return {
      path: d.path!,
      vendorId: d.vendorId,
      productId: d.productId,
      versionNumber: d.release,
      manufacturer: d.manufacturer || null,
      product: d.product || null,
      serialNumber: d.serialNumber || null,
      transport: TRANSPORTS[bus] ?? `bus 0x${bus.toString(16)}`,
      locationID: fnv1a(phys),
      reportDescriptor: Uint8Array.from(readFileSync(join(node, 'report_descriptor'))),
    };
  }

  async open(path: string): Promise<HIDDeviceHandle> {
    const entry = (await this.hid.devicesAsync()).find((d) => d.path === path);
    if (!entry) throw new IOReturnError(kIOReturnNotFound, `no hidraw device ${path}`);
    const description = this.#describe(entry);
    const numbered = parseReportDescriptor(description.reportDescriptor, 'lenient').numbered;
    let device: Awaited<ReturnType<NodeHIDModule['HIDAsync']['open']>>;
    try {
      device = await this.hid.HIDAsync.open(path);
    } catch (e) {
      const denied = /permission|EACCES/i.test((e as Error).message);
      throw new IOReturnError(denied ? kIOReturnNotPrivileged : kIOReturnNoDevice, `cannot open ${path}: ${(e as Error).message}${denied ? ` (a udev rule can grant access: SUBSYSTEM=="hidraw", ATTRS{idVendor}=="${description.vendorId.toString(16).padStart(4, '0')}", MODE="0660", GROUP="plugdev")` : ''}`, { cause: e });
    }
    const listeners = new Set<(r: Uint8Array) => void>();
    const removed = new Set<() => void>();
    let gone = false;
    device.on('data', (data: Buffer) => {
      const report = Uint8Array.from(data);
      for (const l of listeners) l(report);
    });
    device.on('error', () => {
      if (gone) return;
      gone = true;
      for (const l of removed) l();
    });
    // hidapi wants a report ID first in every report it sends; 0 when the device numbers none.
    const framed = (report: Uint8Array) => Buffer.from(numbered ? report : Uint8Array.of(0, ...report));
    const alive = () => {
      if (gone) throw new IOReturnError(kIOReturnNoDevice, `${path} was removed`);
    };
    return {
      onInputReport: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
      onRemoved: (l) => void removed.add(l),
      setReport: async (type, report) => {
        alive();
        if (type === 'output') await device.write(framed(report));
        else await device.sendFeatureReport(framed(report));
      },
      getReport: async (type, reportID, length) => {
        alive();
        if (type === 'input') throw new IOReturnError(kIOReturnUnsupported, 'hidraw gives input reports only as they arrive (node-hid has no GET_REPORT for input)');
        const r = Uint8Array.from(await device.getFeatureReport(reportID, length + (numbered ? 0 : 1)));
        return numbered ? r : r.subarray(1);
      },
      close: async () => {
        listeners.clear();
        await device.close();
      },
    };
  }
}
