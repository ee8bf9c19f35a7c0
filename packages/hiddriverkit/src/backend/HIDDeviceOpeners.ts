import { IOReturnError, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { HIDBackend, HIDDeviceHandle } from './HIDBackend';
import { HIDRawBackend } from './hidraw/HIDRawBackend';

/**
 * The backends a process opens HID devices through itself, by the name a nub carries in
 * `IOHIDBackend` (as PCI's PCIDeviceOpeners). A nub crosses into a driver process as properties, so
 * the driver's IOHIDInterface finds the backend here and opens the node where the driver runs:
 * reports never cross the host. A backend named nowhere here (the host's virtual devices) is
 * reached through the host instead. Each backend is made once per process, on the first Open that
 * needs it; one that failed to come up (no node-hid) is tried again by the next.
 */
export class HIDDeviceOpeners {
  static readonly #factories = new Map<string, () => Promise<HIDBackend>>([['hidraw', () => HIDRawBackend.create()]]);
  static readonly #made = new Map<string, Promise<HIDBackend>>();

  /** Adds a backend a process opens its devices through (a user's own, or a test's), replacing one of the same name. */
  static register(name: string, create: () => Promise<HIDBackend>): void {
    HIDDeviceOpeners.#factories.set(name, create);
    HIDDeviceOpeners.#made.delete(name);
  }

  /** Whether devices of `backend` are opened in this process rather than through the host. */
  static has(backend: string): boolean {
    return HIDDeviceOpeners.#factories.has(backend);
  }

  /** Opens `path` through the backend named `backend`, made on first use. */
  static open(backend: string, path: string): Promise<HIDDeviceHandle> {
    const create = HIDDeviceOpeners.#factories.get(backend);
    if (!create) return Promise.reject(new IOReturnError(kIOReturnUnsupported, `${backend} HID devices live in the host: this process has no link to it`));
    let made = HIDDeviceOpeners.#made.get(backend);
    if (!made) {
      made = create();
      made.catch(() => HIDDeviceOpeners.#made.delete(backend));
      HIDDeviceOpeners.#made.set(backend, made);
    }
    return made.then((b) => b.open(path));
  }
}
