// The USB family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to add
// USB matching and to publish IOUSBHostDevice / IOUSBHostInterface nubs for the devices its backends see.
import type { IOServiceHost } from '@driverkit/driverkit';
import type { USBBackend } from './backend/USBBackend';
import { LibUSBBackend } from './backend/libusb/LibUSBBackend';
import { VirtualUSBHost } from './backend/virtual/VirtualUSBHost';
import { USBHostController } from './host/USBHostController';
import { USBMatchingFamily } from './matching/USBMatchingFamily';

/** Where virtual USB devices are plugged in (the virtual bench, tests, replayed captures). */
export const virtualUSBHost = new VirtualUSBHost();

export interface USBPluginOptions {
  /** Leave libusb out even where the machine has a USB bus. */
  libusb?: boolean;
}

export async function register(host: IOServiceHost, options: USBPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerFamily(USBMatchingFamily);
  const backends: USBBackend[] = [virtualUSBHost];
  if (options.libusb !== false && process.env.DRIVERKIT_USB_LIBUSB !== '0') {
    try {
      backends.push(await LibUSBBackend.create());
    } catch (e) {
      host.options.log(`USB: libusb is unavailable (${(e as Error).message})`);
    }
  }
  const controller = new USBHostController(host, backends);
  await controller.start();
  return () => controller.stop();
}
