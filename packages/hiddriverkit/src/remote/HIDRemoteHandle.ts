import { IOReturnError, OSArray, OSBoolean, OSData, OSDictionary, OSNumber, kIOReturnBadArgument, kIOReturnNoDevice, toOSDictionary, type IOProviderLink } from '@driverkit/driverkit';
import type { HIDDeviceHandle } from '../backend/HIDBackend';

function flag(d: OSDictionary, key: string): boolean {
  const v = d.getObject(key);
  return v instanceof OSBoolean && v.getValue();
}

/**
 * A HID device that lives in the host, as a driver process sees it: each call is a providerCall to
 * the host's IOHIDInterface, and input reports arrive through a read kept waiting there.
 */
export class HIDRemoteHandle implements HIDDeviceHandle {
  readonly #link: IOProviderLink;
  readonly #listeners = new Set<(report: Uint8Array) => void>();
  readonly #removed = new Set<() => void>();
  #closed = false;
  #pumping = false;

  private constructor(link: IOProviderLink) {
    this.#link = link;
  }

  static async open(link: IOProviderLink): Promise<HIDRemoteHandle> {
    await link.call('open', toOSDictionary({}));
    return new HIDRemoteHandle(link);
  }

  onInputReport(listener: (report: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#pumping) void this.#pump();
    return () => this.#listeners.delete(listener);
  }

  onRemoved(listener: () => void): void {
    this.#removed.add(listener);
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#closed) {
        const r = await this.#link.call('read', toOSDictionary({}));
        const reports = r.getObject('reports');
        if (reports instanceof OSArray) {
          for (const o of reports) if (o instanceof OSData) for (const l of this.#listeners) l(o.getBytesNoCopy());
        }
        const dropped = r.getObject('dropped');
        // The driver process's stderr reaches the host's log.
        if (dropped instanceof OSNumber && dropped.unsigned32BitValue() > 0) process.stderr.write(`HID: the host dropped ${dropped.unsigned32BitValue()} input reports this driver did not read in time\n`);
        if (flag(r, 'gone')) {
          this.#closed = true;
          for (const l of this.#removed) l();
        }
        if (flag(r, 'closed')) break;
      }
    } catch {
      // The host is gone, or closed the device: the driver learns it from its own calls.
      if (!this.#closed) for (const l of this.#removed) l();
    } finally {
      this.#pumping = false;
    }
  }

  async setReport(type: 'output' | 'feature', report: Uint8Array): Promise<void> {
    this.#check();
    await this.#link.call('setReport', toOSDictionary({ type, report }));
  }

  async getReport(type: 'input' | 'feature', reportID: number, length: number): Promise<Uint8Array> {
    this.#check();
    const r = await this.#link.call('getReport', toOSDictionary({ type, reportID, length }));
    const report = r.getObject('report');
    if (!(report instanceof OSData)) throw new IOReturnError(kIOReturnBadArgument, 'HID getReport: the host sent no report');
    return report.getBytesNoCopy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#link.call('close', toOSDictionary({})).catch(() => {});
  }

  #check(): void {
    if (this.#closed) throw new IOReturnError(kIOReturnNoDevice, 'the HID device is closed or gone');
  }
}
