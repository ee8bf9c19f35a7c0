import { IOServiceHost, type IOServiceHostOptions } from '@driverkit/driverkit';
import type { HIDBackend } from '../backend/HIDBackend';
import { VirtualHIDBackend } from '../backend/virtual/VirtualHIDBackend';
import { register } from '../plugin';

/**
 * A driver host with the HID family on a virtual backend of its own and no other, for a driver's
 * tests: what node-serialport's MockBinding is to port code. Add `VirtualHIDDevice`s (or recordings'
 * devices) to {@link hid}, add driver bundles to {@link host}; {@link reset} removes every device
 * between tests and {@link stop} ends it all. Each bench is its own host: two never share a device.
 */
export class HIDTestBench {
  readonly #stopFamily: () => Promise<void>;

  private constructor(
    /** The driver host (in process unless `create` was told otherwise). */
    readonly host: IOServiceHost,
    /** The bench's virtual HID backend. */
    readonly hid: VirtualHIDBackend,
    stopFamily: () => Promise<void>,
  ) {
    this.#stopFamily = stopFamily;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<HIDTestBench> {
    const host = new IOServiceHost({ mode: options.mode ?? 'in-process', log: options.log ?? (() => {}) });
    const hid = new VirtualHIDBackend();
    const stop = await register(host, { backends: new Map<string, HIDBackend>([['virtual', hid]]) });
    return new HIDTestBench(host, hid, stop);
  }

  /** Removes every device: drivers on them see the removal, as on a real bus. */
  reset(): void {
    this.hid.reset();
  }

  async stop(): Promise<void> {
    this.reset();
    await this.#stopFamily();
    await this.host.stop();
  }
}
