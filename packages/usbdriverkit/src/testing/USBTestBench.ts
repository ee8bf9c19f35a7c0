import { IOTestBench, type IOServiceHostOptions } from '@driverkit/driverkit';
import { VirtualUSBHost } from '../backend/virtual/VirtualUSBHost';
import { register } from '../plugin';

/**
 * A driver host with the USB family on a virtual bus of its own and no other backend, for a driver's
 * tests. Attach `VirtualUSBDevice` models or replayed captures to {@link usb}, add driver bundles to
 * {@link host}; `reset` unplugs every device between tests and `stop` ends it all.
 */
export class USBTestBench extends IOTestBench<VirtualUSBHost> {
  /** The bench's virtual bus. */
  get usb(): VirtualUSBHost {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<USBTestBench> {
    const host = IOTestBench.newHost(options);
    const usb = new VirtualUSBHost();
    return new USBTestBench(host, usb, await register(host, { backends: [usb] }));
  }
}
