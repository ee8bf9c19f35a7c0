import { IOServiceHost, type IOServiceHostOptions } from '@driverkit/driverkit';
import { VirtualUSBHost } from '../backend/virtual/VirtualUSBHost';
import { register } from '../plugin';

/**
 * A driver host with the USB family on a virtual bus of its own and no other backend, for a driver's
 * tests: what node-serialport's MockBinding is to port code. Attach `VirtualUSBDevice` models or
 * replayed captures to {@link usb}, add driver bundles to {@link host}; {@link reset} unplugs every
 * device between tests and {@link stop} ends it all. Each bench is its own host: two never share a device.
 */
export class USBTestBench {
  readonly #stopFamily: () => Promise<void>;

  private constructor(
    /** The driver host (in process unless `create` was told otherwise). */
    readonly host: IOServiceHost,
    /** The bench's virtual bus. */
    readonly usb: VirtualUSBHost,
    stopFamily: () => Promise<void>,
  ) {
    this.#stopFamily = stopFamily;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<USBTestBench> {
    const host = new IOServiceHost({ mode: options.mode ?? 'in-process', log: options.log ?? (() => {}) });
    const usb = new VirtualUSBHost();
    const stop = await register(host, { backends: [usb] });
    return new USBTestBench(host, usb, stop);
  }

  /** Unplugs every device: drivers on them see the unplug, as on a real bus. */
  reset(): void {
    this.usb.reset();
  }

  async stop(): Promise<void> {
    this.reset();
    await this.#stopFamily();
    await this.host.stop();
  }
}
