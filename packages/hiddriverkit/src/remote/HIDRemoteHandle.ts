import { IODataQueueDispatchSource, IODispatchQueue, IOReturnError, OSAction, OSArray, OSBoolean, OSData, OSDictionary, OSNumber, OSObject, kIOReturnBadArgument, kIOReturnNoDevice, kIOReturnNotPermitted, toOSDictionary, type IOProviderLink } from '@driverkit/driverkit';
import type { HIDDeviceHandle } from '../backend/HIDBackend';
import { kHIDRecordDropped, kHIDRecordGone, kHIDRecordReport, kHIDReportQueueBytes } from './HIDReportRecords';

function flag(d: OSDictionary, key: string): boolean {
  const v = d.getObject(key);
  return v instanceof OSBoolean && v.getValue();
}

/**
 * A HID device that lives in the host, as a driver process sees it: calls are providerCalls to the
 * host's IOHIDInterface; input reports arrive in a data queue this process made and named in its
 * `open`, with a wake (the data queue's bell) only when the queue goes from empty to not empty. A link with no process
 * behind it (a test's) reads through a read kept waiting in the host instead.
 */
export class HIDRemoteHandle extends OSObject implements HIDDeviceHandle {
  readonly #link: IOProviderLink;
  readonly #listeners = new Set<(report: Uint8Array) => void>();
  readonly #removed = new Set<() => void>();
  readonly #reports: IODataQueueDispatchSource | null;
  #unhook: (() => void) | null = null;
  #closed = false;
  #pumping = false;
  readonly #read = (record: Uint8Array) => this.#record(record);

  private constructor(link: IOProviderLink, reports: IODataQueueDispatchSource | null) {
    super();
    this.#link = link;
    this.#reports = reports;
    if (reports) {
      reports.SetDataAvailableHandler(OSAction.Create(this, 'DataAvailable'));
      // Reports the host queued before a message (the device's last, then its terminate) come first.
      this.#unhook = link.beforeHostMessage?.(() => this.DataAvailable()) ?? null;
    }
  }

  static async open(link: IOProviderLink): Promise<HIDRemoteHandle> {
    const reports = IODataQueueDispatchSource.Create(kHIDReportQueueBytes, IODispatchQueue.Create('HIDRemoteHandle'), 'process');
    const md = reports.CopyMemory();
    const name = md.sharedMemory.name!;
    md.release();
    try {
      await link.call('open', toOSDictionary({ reports: name }));
      return new HIDRemoteHandle(link, reports);
    } catch (e) {
      reports.Cancel();
      reports.release();
      if (!(e instanceof IOReturnError && e.code === kIOReturnNotPermitted)) throw e;
    }
    await link.call('open', toOSDictionary({}));
    return new HIDRemoteHandle(link, null);
  }

  onInputReport(listener: (report: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#reports && !this.#pumping) void this.#pump();
    return () => this.#listeners.delete(listener);
  }

  /** The report queue's DataAvailable. @internal (an OSAction target) */
  DataAvailable(_action?: OSAction): void {
    // A removal record ends the handle, which cancels the queue: DequeueAll stops there.
    this.#reports!.DequeueAll(this.#read);
  }

  #record(record: Uint8Array): void {
    switch (record[0]) {
      case kHIDRecordReport: {
        // Listeners may keep the report: it leaves the queue with this record.
        const report = record.slice(1);
        for (const l of this.#listeners) l(report);
        return;
      }
      case kHIDRecordDropped:
        // The driver process's stderr reaches the host's log.
        if (record.length >= 5) process.stderr.write(`HID: the host dropped ${new DataView(record.buffer, record.byteOffset + 1, 4).getUint32(0, true)} input reports this driver did not read in time\n`);
        return;
      case kHIDRecordGone:
        this.#end();
        for (const l of this.#removed) l();
        return;
    }
  }

  #end(): void {
    this.#closed = true;
    this.#unhook?.();
    this.#unhook = null;
    if (this.#reports) {
      this.#reports.Cancel();
      this.#reports.release();
    }
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
    this.#end();
    await this.#link.call('close', toOSDictionary({})).catch(() => {});
  }

  #check(): void {
    if (this.#closed) throw new IOReturnError(kIOReturnNoDevice, 'the HID device is closed or gone');
  }
}
