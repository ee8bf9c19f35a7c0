import { IOReturnError, kIOReturnNoDevice, IOHostSlot, type IOServiceHost } from '@driverkit/driverkit';
import type { USBBackend, USBDeviceHandle, USBDeviceInfo } from '../USBBackend';
import { VirtualUSBDevice, type VirtualUSBDeviceModel } from './VirtualUSBDevice';

// Each host's own, found by whoever is given only the host (a virtual bench, a test).
const slot = new IOHostSlot<VirtualUSBHost>('@driverkit/usbdriverkit.VirtualUSBHost', 'virtual USB bus', 'USB');

/**
 * The virtual USB host: a bus of {@link VirtualUSBDevice} models that can be attached and detached at
 * run time. It is the backend of the virtual bench and of the family's tests, and replayed captures
 * plug into it as models too. Each driver host has its own (the USB plugin makes it, or takes one it
 * is given): a virtual bench finds it with {@link VirtualUSBHost.of}.
 */
export class VirtualUSBHost implements USBBackend {
  readonly name = 'virtual';
  readonly #devices = new Map<string, VirtualUSBDevice>();
  readonly #watchers = new Set<() => void>();
  #nextAddress = 1;

  constructor(readonly bus = 0x80) {}

  /** The virtual bus of `host`'s USB family: where a virtual bench plugs its devices in. */
  static of(host: IOServiceHost): VirtualUSBHost {
    return slot.get(host);
  }

  /** @internal The USB plugin makes `bus` the virtual bus of `host` (null: removes it). */
  static bind(host: IOServiceHost, bus: VirtualUSBHost | null): void {
    slot.set(host, bus);
  }

  /** Unplugs every device (a test's clean slate, as node-serialport's MockBinding.reset). */
  reset(): void {
    for (const d of this.devices()) this.detach(d);
  }

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
