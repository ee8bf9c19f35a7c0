import { IOReturnError, kIOReturnBadArgument, kIOReturnNotFound } from '@driverkit/driverkit';
import type { USBBackend, USBDeviceLocator } from './USBBackend';
import { LibUSBBackend } from './libusb/LibUSBBackend';

/**
 * The backends a driver process opens located devices through, one per kind and options (one libusb
 * context per process, as a dext has its own), made on the first device that needs them.
 */
export class USBLocatedBackends {
  static readonly #made = new Map<string, Promise<USBBackend>>();

  /** The backend `locator` names in this process. */
  static backendFor(locator: USBDeviceLocator): Promise<USBBackend> {
    const key = JSON.stringify([locator.backend, locator.module ?? null, locator.export ?? null, locator.options ?? {}]);
    let made = USBLocatedBackends.#made.get(key);
    if (!made) {
      made = USBLocatedBackends.#make(locator);
      // A backend that failed to come up (no libusb here) is tried again by the next Open.
      made.catch(() => USBLocatedBackends.#made.delete(key));
      USBLocatedBackends.#made.set(key, made);
    }
    return made;
  }

  static async #make(locator: USBDeviceLocator): Promise<USBBackend> {
    if (locator.backend === 'libusb') return LibUSBBackend.create(locator.options?.sysfs);
    if (locator.backend !== 'module') throw new IOReturnError(kIOReturnNotFound, `USB device ${locator.id}: this driver process knows no backend "${locator.backend}"`);
    if (!locator.module || !locator.export) throw new IOReturnError(kIOReturnBadArgument, `USB device ${locator.id}: a module backend's locator names no module and export`);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(locator.module)) as Record<string, unknown>;
    } catch (e) {
      throw new IOReturnError(kIOReturnNotFound, `USB device ${locator.id}: cannot load its backend ${locator.module}: ${(e as Error).message}`, { cause: e });
    }
    const factory = mod[locator.export] as { create?: (options: Record<string, string>) => Promise<USBBackend> | USBBackend } | undefined;
    if (typeof factory?.create !== 'function') throw new IOReturnError(kIOReturnNotFound, `USB device ${locator.id}: ${locator.module} exports no ${locator.export} with a static create(options)`);
    return factory.create(locator.options ?? {});
  }
}
