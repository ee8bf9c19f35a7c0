import { IOTestBench, type IOServiceHostOptions } from '@driverkit/driverkit';
import type { HIDBackend } from '../backend/HIDBackend';
import { VirtualHIDBackend } from '../backend/virtual/VirtualHIDBackend';
import { register } from '../plugin';

/**
 * A driver host with the HID family on a virtual backend of its own and no other, for a driver's
 * tests. Add `VirtualHIDDevice`s (or recordings' devices) to {@link hid}, add driver bundles to
 * {@link host}; `reset` removes every device between tests and `stop` ends it all.
 */
export class HIDTestBench extends IOTestBench<VirtualHIDBackend> {
  /** The bench's virtual HID backend. */
  get hid(): VirtualHIDBackend {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<HIDTestBench> {
    const host = IOTestBench.newHost(options);
    const hid = new VirtualHIDBackend();
    return new HIDTestBench(host, hid, await register(host, { backends: new Map<string, HIDBackend>([['virtual', hid]]) }));
  }
}
