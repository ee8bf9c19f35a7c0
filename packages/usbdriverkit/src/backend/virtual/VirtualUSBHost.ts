import { IOReturnError, kIOReturnNoDevice } from '@driverkit/driverkit';
import type { USBBackend, USBDeviceHandle, USBDeviceInfo } from '../USBBackend';
import { VirtualUSBDevice, type VirtualUSBDeviceModel } from './VirtualUSBDevice';

/**
 * The virtual USB host: a bus of {@link VirtualUSBDevice} models that can be attached and detached at
 * run time. It is the backend of the virtual bench and of the family's tests, and replayed captures
 * plug into it as models too.
 */
export class VirtualUSBHost implements USBBackend {
  readonly name = 'virtual';
  readonly #devices = new Map<string, VirtualUSBDevice>();
  readonly #watchers = new Set<() => void>();
  #nextAddress = 1;

  constructor(readonly bus = 0x80) {}

  /** Plugs a device in (a model or a ready device); returns it. Watchers hear of it. */
  attach(model: VirtualUSBDeviceModel | VirtualUSBDevice): VirtualUSBDevice {
    const device = model instanceof VirtualUSBDevice ? model : new VirtualUSBDevice(model);
    if (device.unplugged) throw new IOReturnError(kIOReturnNoDevice, 'a detached virtual device cannot be attached again; make a new one');
    const address = this.#nextAddress++;
    device.address = address;
    // One root port per device: bus in the top byte, the port in the next nibble (Apple's locationID layout).
    device.locationID = ((this.bus << 24) | ((address & 0xf) << 20)) >>> 0;
    device.id = `virtual-${this.bus.toString(16)}-${address}`;
    this.#devices.set(device.id, device);
    this.#notify();
    return device;
  }

  /** Unplugs a device: its pending transfers end with kIOReturnNoDevice, then watchers hear of it. */
  detach(device: VirtualUSBDevice): void {
    if (!this.#devices.delete(device.id)) return;
    device.unplug();
    this.#notify();
  }

  devices(): VirtualUSBDevice[] {
    return [...this.#devices.values()];
  }

  async list(): Promise<USBDeviceInfo[]> {
    return this.devices().map((d) => d.info());
  }

  watch(onChange: () => void): () => void {
    this.#watchers.add(onChange);
    return () => this.#watchers.delete(onChange);
  }

  async open(id: string): Promise<USBDeviceHandle> {
    const d = this.#devices.get(id);
    if (!d) throw new IOReturnError(kIOReturnNoDevice, `no virtual USB device ${id} (unplugged?)`);
    return d.open();
  }

  #notify(): void {
    for (const w of [...this.#watchers]) w();
  }
}
