import { IOReturnError, kIOReturnNotFound, IOHostSlot, type IOServiceHost } from '@driverkit/driverkit';
import type { HIDBackend, HIDDeviceDescription, HIDDeviceHandle } from '../HIDBackend';
import type { VirtualHIDDevice } from './VirtualHIDDevice';

// Each host's own, found by whoever is given only the host (a virtual bench, a test).
const slot = new IOHostSlot<VirtualHIDBackend>('@driverkit/hiddriverkit.VirtualHIDBackend', 'virtual HID backend', 'HID');

/**
 * HID devices made in the process (the virtual bench, tests): added and removed like hotplug. Each
 * driver host has its own (the HID plugin makes it, or takes one it is given): a virtual bench finds
 * it with {@link VirtualHIDBackend.of}.
 */
export class VirtualHIDBackend implements HIDBackend {
  readonly name = 'virtual';
  readonly #devices = new Map<string, VirtualHIDDevice>();
  readonly #listeners = new Set<(event: 'added' | 'removed', path: string) => void>();
  #next = 1;

  /** The virtual HID backend of `host`'s HID family: where a virtual bench plugs its devices in. */
  static of(host: IOServiceHost): VirtualHIDBackend {
    return slot.get(host);
  }

  /** @internal The HID plugin makes `backend` the virtual backend of `host` (null: removes it). */
  static bind(host: IOServiceHost, backend: VirtualHIDBackend | null): void {
    slot.set(host, backend);
  }

  /** Unplugs every device (a test's clean slate, as node-serialport's MockBinding.reset). */
  reset(): void {
    for (const path of [...this.#devices.keys()]) this.remove(path);
  }

  /** Plugs a device in; returns its path. */
  add(device: VirtualHIDDevice): string {
    const path = device.description.path ?? `virtual:hid/${this.#next++}`;
    this.#devices.set(path, device);
    for (const l of this.#listeners) l('added', path);
    return path;
  }

  /** Unplugs a device: whoever has it open is told it was removed. */
  remove(path: string): void {
    const d = this.#devices.get(path);
    if (!d) return;
    this.#devices.delete(path);
    d.remove();
    for (const l of this.#listeners) l('removed', path);
  }

  /** Hotplug events, for the family's enumerator. */
  watch(listener: (event: 'added' | 'removed', path: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async list(): Promise<HIDDeviceDescription[]> {
    return [...this.#devices].map(([path, d]) => ({ ...d.description, path }));
  }

  async open(path: string): Promise<HIDDeviceHandle> {
    const d = this.#devices.get(path);
    if (!d) throw new IOReturnError(kIOReturnNotFound, `no virtual HID device ${path}`);
    return d.handle();
  }
}
