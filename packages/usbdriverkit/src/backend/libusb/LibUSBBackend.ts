import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, kIOReturnNoDevice, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { UsbDevice } from 'usb/index';
import { kIOUSBHostConnectionSpeedFull, kIOUSBHostConnectionSpeedHigh, kIOUSBHostConnectionSpeedLow, kIOUSBHostConnectionSpeedSuper, kIOUSBHostConnectionSpeedSuperPlus, kIOUSBHostConnectionSpeedSuperPlusBy2 } from '../../descriptors/USBConstants';
import type { USBBackend, USBDeviceHandle, USBDeviceInfo, USBDeviceLocator } from '../USBBackend';
import { LibUSBDeviceHandle } from './LibUSBDeviceHandle';
import { usbError } from './LibUSBErrors';

const SYS_USB = '/sys/bus/usb/devices';

type UsbModule = typeof import('usb');

const speeds: Record<string, number> = { '1.5': kIOUSBHostConnectionSpeedLow, '12': kIOUSBHostConnectionSpeedFull, '480': kIOUSBHostConnectionSpeedHigh, '5000': kIOUSBHostConnectionSpeedSuper, '10000': kIOUSBHostConnectionSpeedSuperPlus, '20000': kIOUSBHostConnectionSpeedSuperPlusBy2 };

/**
 * Real USB devices through libusb (the `usb` package). Enumeration reads sysfs, whose `descriptors`
 * file holds the device and every configuration descriptor raw, class-specific ones included (the
 * `usb` package exposes only WebUSB's parsed view); I/O goes through `usb`. The package's hotplug
 * listener aborts the process on a machine without /sys/bus/usb, so {@link create} refuses such a
 * machine first.
 */
export class LibUSBBackend implements USBBackend {
  readonly name = 'libusb';

  private constructor(
    readonly usb: UsbModule,
    readonly sysfs: string,
  ) {}

  static async create(sysfs = SYS_USB): Promise<LibUSBBackend> {
    if (!existsSync(sysfs)) throw new IOReturnError(kIOReturnUnsupported, `this machine has no USB bus (${sysfs} is missing); use the virtual USB host`);
    return new LibUSBBackend(await import('usb'), sysfs);
  }

  /** Parses one sysfs device directory (`1-1.2`), or null for root hubs' interfaces and the like. */
  static readSysfsDevice(dir: string, name: string): USBDeviceInfo | null {
    const file = (f: string) => {
      try {
        return readFileSync(join(dir, f), 'utf8').trim();
      } catch {
        return undefined;
      }
    };
    if (!existsSync(join(dir, 'descriptors')) || file('busnum') === undefined) return null;
    const raw = new Uint8Array(readFileSync(join(dir, 'descriptors')));
    const configurations: Uint8Array[] = [];
    for (let o = 18; o + 4 <= raw.length; ) {
      const total = raw[o + 2]! | (raw[o + 3]! << 8);
      if (total < 9 || o + total > raw.length) break;
      configurations.push(raw.slice(o, o + total));
      o += total;
    }
    const bus = Number(file('busnum'));
    // Apple's locationID: bus in the top byte, then a nibble per hub port from the root.
    const ports = name.includes('-') ? name.split('-')[1]!.split('.').map(Number) : [];
    let locationID = (bus & 0xff) << 24;
    ports.slice(0, 6).forEach((p, i) => (locationID |= (p & 0xf) << (20 - 4 * i)));
    return {
      id: name,
      deviceDescriptor: raw.slice(0, 18),
      configurations,
      activeConfiguration: Number(file('bConfigurationValue') || 0),
      speed: speeds[file('speed') ?? ''] ?? kIOUSBHostConnectionSpeedFull,
      address: Number(file('devnum') ?? 0),
      locationID: locationID >>> 0,
      manufacturer: file('manufacturer'),
      product: file('product'),
      serialNumber: file('serial'),
    };
  }

  async list(): Promise<USBDeviceInfo[]> {
    const out: USBDeviceInfo[] = [];
    for (const name of readdirSync(this.sysfs)) {
      if (name.includes(':')) continue; // interfaces
      const info = LibUSBBackend.readSysfsDevice(join(this.sysfs, name), name);
      if (info) out.push(info);
    }
    return out;
  }

  watch(onChange: () => void): () => void {
    const listener = () => onChange();
    this.usb.usb.addEventListener('connect', listener);
    this.usb.usb.addEventListener('disconnect', listener);
    return () => {
      this.usb.usb.removeEventListener('connect', listener);
      this.usb.usb.removeEventListener('disconnect', listener);
    };
  }

  /** A driver process opens libusb devices itself, through usbfs (`/dev/bus/usb/BBB/DDD`). */
  locate(id: string): USBDeviceLocator | null {
    const info = LibUSBBackend.readSysfsDevice(join(this.sysfs, id), id);
    if (!info) return null;
    const bus = Number(readFileSync(join(this.sysfs, id, 'busnum'), 'utf8'));
    const node = `/dev/bus/usb/${String(bus).padStart(3, '0')}/${String(info.address).padStart(3, '0')}`;
    return { backend: 'libusb', id, node, options: { sysfs: this.sysfs } };
  }

  async open(id: string): Promise<USBDeviceHandle> {
    const info = LibUSBBackend.readSysfsDevice(join(this.sysfs, id), id);
    if (!info) throw new IOReturnError(kIOReturnNoDevice, `USB device ${id} is gone`);
    const bus = Number(readFileSync(join(this.sysfs, id, 'busnum'), 'utf8'));
    let device: UsbDevice | undefined;
    try {
      device = (await this.usb.usb.getDevices()).find((d) => Number((d as UsbDevice).bus) === bus && (d as UsbDevice).address === info.address) as UsbDevice | undefined;
    } catch (e) {
      throw usbError(`listing USB devices to open ${id}`, e);
    }
    if (!device) throw new IOReturnError(kIOReturnNoDevice, `USB device ${id} (bus ${bus} address ${info.address}) is not visible to libusb`);
    try {
      await device.open();
    } catch (e) {
      throw usbError(`opening USB device ${id}`, e);
    }
    return new LibUSBDeviceHandle(device, id);
  }
}
