import { IOReturnError, kIOReturnNoDevice, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { HIDDeviceDescription, HIDDeviceHandle } from '../HIDBackend';

/** How a virtual device answers what its host asks of it. */
export interface VirtualHIDDeviceHandlers {
  setReport?(type: 'output' | 'feature', report: Uint8Array): void | Promise<void>;
  getReport?(type: 'input' | 'feature', reportID: number, length: number): Uint8Array | Promise<Uint8Array>;
}

/**
 * A HID device that exists in the process: a description (identity and report descriptor) and
 * handlers, sending input reports with {@link sendInput}. The same model can later be served through
 * uhid on a real kernel.
 */
export class VirtualHIDDevice {
  readonly #listeners = new Set<(report: Uint8Array) => void>();
  readonly #removed = new Set<() => void>();
  #gone = false;

  constructor(
    readonly description: Omit<HIDDeviceDescription, 'path'> & { path?: string },
    readonly handlers: VirtualHIDDeviceHandlers = {},
  ) {}

  /** Sends an input report to whoever has the device open. */
  sendInput(report: Uint8Array): void {
    if (this.#gone) throw new IOReturnError(kIOReturnNoDevice, 'the virtual HID device was removed');
    for (const l of this.#listeners) l(Uint8Array.from(report));
  }

  /** True while someone has it open. */
  isOpen(): boolean {
    return this.#listeners.size > 0;
  }

  /** @internal The backend's view of it. */
  handle(): HIDDeviceHandle {
    let closed = false;
    const mine = new Set<(r: Uint8Array) => void>();
    const check = () => {
      if (this.#gone) throw new IOReturnError(kIOReturnNoDevice, 'the virtual HID device was removed');
      if (closed) throw new IOReturnError(kIOReturnNoDevice, 'the virtual HID device is closed');
    };
    return {
      onInputReport: (listener) => {
        mine.add(listener);
        this.#listeners.add(listener);
        return () => {
          mine.delete(listener);
          this.#listeners.delete(listener);
        };
      },
      onRemoved: (listener) => void this.#removed.add(listener),
      setReport: async (type, report) => {
        check();
        if (!this.handlers.setReport) throw new IOReturnError(kIOReturnUnsupported, `the virtual device takes no ${type} reports`);
        await this.handlers.setReport(type, Uint8Array.from(report));
      },
      getReport: async (type, reportID, length) => {
        check();
        if (!this.handlers.getReport) throw new IOReturnError(kIOReturnUnsupported, `the virtual device gives no ${type} reports`);
        return (await this.handlers.getReport(type, reportID, length)).subarray(0, length);
      },
      close: async () => {
        closed = true;
        for (const l of mine) this.#listeners.delete(l);
        mine.clear();
      },
    };
  }

  /** @internal Called by the backend when the device is removed. */
  remove(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#listeners.clear();
    for (const l of this.#removed) l();
  }
}
