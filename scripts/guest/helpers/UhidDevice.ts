// Inside the guest: a HID device made from user space through /dev/uhid, which hid-generic turns into
// a /dev/hidrawN that node-hid (and the hidraw backend) opens like any real HID device. A test's
// view of the family's own UHIDDevice: output reports are kept for `nextOutput`.
import { UHIDDevice } from '../../../packages/hiddriverkit/src/kernel/UHIDDevice';
import { loadModules } from './modules';

export interface UhidDeviceOptions {
  name: string;
  vendor: number;
  product: number;
  reportDescriptor: Uint8Array;
}

/** One uhid device: send input reports, receive the output reports the host side writes. */
export class UhidDevice {
  readonly outputs: Uint8Array[] = [];
  #waiters: Array<() => void> = [];
  readonly #device: UHIDDevice;

  private constructor(options: UhidDeviceOptions) {
    this.#device = UHIDDevice.create(
      { ...options, bus: 0x03, version: 0x0100 },
      {
        output: (report) => {
          this.outputs.push(report);
          for (const w of this.#waiters.splice(0)) w();
        },
      },
    );
  }

  static create(options: UhidDeviceOptions): UhidDevice {
    loadModules('uhid', 'hid_generic');
    return new UhidDevice(options);
  }

  /** Sends one input report (with its report id first, if the descriptor uses ids). */
  sendInput(report: Uint8Array): void {
    this.#device.sendInput(report);
  }

  /** Resolves with the next output report the host side writes. */
  async nextOutput(ms = 10_000): Promise<Uint8Array> {
    const end = Date.now() + ms;
    while (this.outputs.length === 0) {
      if (Date.now() > end) throw new Error(`no output report within ${ms} ms`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.outputs.shift()!;
  }

  /** Destroys the device (its hidraw node goes) and closes /dev/uhid. */
  destroy(): Promise<void> {
    return this.#device.destroy();
  }
}
