// The USB family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to add
// USB matching and to publish IOUSBHostDevice / IOUSBHostInterface nubs for the devices its backends see.
import type { IOServiceHost } from '@driverkit/driverkit';
import type { USBBackend } from './backend/USBBackend';
import { LibUSBBackend } from './backend/libusb/LibUSBBackend';
import { VirtualUSBHost } from './backend/virtual/VirtualUSBHost';
import { USBHostController } from './host/USBHostController';
import { USBMatchingFamily } from './matching/USBMatchingFamily';

export interface USBPluginOptions {
  /** Leave libusb out even where the machine has a USB bus. */
  libusb?: boolean;
  /**
   * The backends to publish devices from, instead of a new virtual bus and libusb. The first
   * {@link VirtualUSBHost} among them becomes the host's virtual bus ({@link VirtualUSBHost.of}).
   */
  backends?: USBBackend[];
}

/** Adds the USB family to `host`; resolves with what stops it (its nubs terminate, its virtual bus empties). */
export async function register(host: IOServiceHost, options: USBPluginOptions = {}): Promise<() => Promise<void>> {
  host.registerFamily(USBMatchingFamily);
  const backends: USBBackend[] = options.backends ? [...options.backends] : [new VirtualUSBHost()];
  if (!options.backends && options.libusb !== false && process.env.DRIVERKIT_USB_LIBUSB !== '0') {
    try {
      backends.push(await LibUSBBackend.create());
    } catch (e) {
      host.options.log(`USB: libusb is unavailable (${(e as Error).message})`);
    }
  }
  const virtual = backends.find((b): b is VirtualUSBHost => b instanceof VirtualUSBHost) ?? null;
  VirtualUSBHost.bind(host, virtual);
  const controller = new USBHostController(host, backends);
  await controller.start();
  return async () => {
    await controller.stop();
    VirtualUSBHost.bind(host, null);
    // A bus this plugin made goes with it; one it was given stays its owner's.
    if (!options.backends) virtual?.reset();
  };
}
