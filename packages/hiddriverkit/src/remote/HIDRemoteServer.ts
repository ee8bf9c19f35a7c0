import {
  IODataQueueBacklog,
  IODataQueueDispatchSource,
  IODispatchQueue,
  IORemoteArguments,
  IOReturnError,
  callerProcess,
  kIOReturnBadArgument,
  kIOReturnExclusiveAccess,
  kIOReturnNotOpen,
  kIOReturnNotPermitted,
  kIOReturnSuccess,
  kIOReturnUnsupported,
  toOSDictionary,
  type IORemoteCaller,
  type OSDictionary,
} from '@driverkit/driverkit';
import type { HIDDeviceHandle } from '../backend/HIDBackend';
import { kHIDRecordDropped, kHIDRecordGone, kHIDRecordReport } from './HIDReportRecords';

/** Reports queued for a driver process between its reads; past this the oldest are dropped and counted. */
const QUEUE_LIMIT = 4096;
const MAX_REPORT = 65536;

/**
 * The host's end of a HID device that a driver in its own process has open (virtual and USB HID
 * devices live in the host). Input reports go into a data queue the driver process made and named
 * in its `open` (architecture.md: data moves through shared memory, not the host socket); a report
 * that finds the queue full is dropped and counted, as a device's would be. A caller with no process
 * behind it (a test's link) reads with long-polling `read` calls instead.
 */
export class HIDRemoteServer {
  #owner: IORemoteCaller | null = null;
  #handle: HIDDeviceHandle | null = null;
  #unsubscribe: (() => void) | null = null;
  #queue: Uint8Array[] = [];
  #dropped = 0;
  #gone = false;
  #wake: (() => void) | null = null;
  #reports: IODataQueueDispatchSource | null = null;
  /** What must not be dropped when the queue is full (the drop count before it, and that the device went). */
  #backlog: IODataQueueBacklog<{ record: Uint8Array }> | null = null;

  constructor(
    private readonly openDevice: () => Promise<HIDDeviceHandle>,
    /** Who else has the device open in the host, if anyone. */
    private readonly localOwner: () => string | null,
  ) {}

  /** True while a driver process has the device open. */
  get isOpen(): boolean {
    return this.#owner !== null;
  }

  async handle(method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
    if (method === 'open') {
      await this.#open(caller, new IORemoteArguments(args, 'HID open'));
      return null;
    }
    if (this.#owner !== caller) throw new IOReturnError(kIOReturnNotOpen, `HID ${method}: the device is not open by this driver process`);
    const handle = this.#handle!;
    const a = new IORemoteArguments(args, `HID ${method}`);
    switch (method) {
      case 'read':
        return this.#read();
      case 'setReport': {
        await handle.setReport(a.string('type', ['output', 'feature'] as const), a.requiredData('report', MAX_REPORT));
        return null;
      }
      case 'getReport': {
        const bytes = await handle.getReport(a.string('type', ['input', 'feature'] as const), a.number('reportID', 255), a.number('length', MAX_REPORT));
        return toOSDictionary({ report: bytes });
      }
      case 'close':
        await this.close();
        return null;
      default:
        throw new IOReturnError(kIOReturnUnsupported, `HID call: no method "${method}"`);
    }
  }

  async #open(caller: IORemoteCaller, a: IORemoteArguments): Promise<void> {
    const local = this.localOwner();
    if (local) throw new IOReturnError(kIOReturnExclusiveAccess, `the HID device is open by ${local}`);
    if (this.#owner) throw new IOReturnError(kIOReturnExclusiveAccess, `the HID device is open by ${this.#owner.key}`);
    const queueName = a.get('reports') === null ? null : a.string('reports');
    const reports = queueName === null ? null : HIDRemoteServer.#attachQueue(queueName, caller);
    this.#owner = caller;
    try {
      this.#handle = await this.openDevice();
    } catch (e) {
      this.#owner = null;
      HIDRemoteServer.#detach(reports);
      throw e;
    }
    this.#reports = reports;
    this.#backlog = reports && new IODataQueueBacklog(reports, () => {});
    this.#gone = false;
    this.#queue = [];
    this.#dropped = 0;
    this.#unsubscribe = this.#handle.onInputReport((report) => {
      if (this.#reports) return this.#enqueue(report);
      if (this.#queue.length >= QUEUE_LIMIT) {
        this.#queue.shift();
        this.#dropped++;
      }
      this.#queue.push(report);
      this.#wake?.();
    });
    this.#handle.onRemoved(() => {
      this.#gone = true;
      if (this.#reports) this.#sendGone();
      this.#wake?.();
    });
    caller.onGone(() => void this.close());
  }

  /** The driver process's report queue: memory it made itself, or nothing. */
  static #attachQueue(name: string, caller: IORemoteCaller): IODataQueueDispatchSource {
    const owner = callerProcess(caller);
    if (!owner) throw new IOReturnError(kIOReturnNotPermitted, 'HID open: only a driver process may name a report queue');
    // The source holds its queue; the queue goes with the source (#detach).
    const queue = IODispatchQueue.Create('HIDRemoteServer');
    try {
      return IODataQueueDispatchSource.attachByName(name, queue, owner);
    } finally {
      queue.release();
    }
  }

  static #detach(source: IODataQueueDispatchSource | null): void {
    if (!source) return;
    source.Cancel();
    source.release();
  }

  /** Queues one report; one that does not fit is dropped and counted, and the count goes first next time. */
  #enqueue(report: Uint8Array): void {
    const q = this.#reports!;
    const size = 1 + report.length;
    // The drop count goes in only with the report after it, so a full queue does not fill with counts.
    if (this.#dropped > 0 && q.CanEnqueueData(Math.max(5, size), 2) && q.Enqueue(5, droppedRecord(this.#dropped)) === kIOReturnSuccess) this.#dropped = 0;
    const ok =
      this.#dropped === 0 &&
      q.Enqueue(size, (d) => {
        d[0] = kHIDRecordReport;
        d.set(report, 1);
      }) === kIOReturnSuccess;
    if (!ok) this.#dropped++;
  }

  /** The device went: the driver hears of it after the reports before it (and their drop count), however full the queue. */
  #sendGone(): void {
    if (this.#dropped > 0) this.#backlog!.send({ record: droppedRecord(this.#dropped) });
    this.#dropped = 0;
    this.#backlog!.send({ record: Uint8Array.of(kHIDRecordGone) });
  }

  async #read(): Promise<OSDictionary> {
    if (this.#wake) throw new IOReturnError(kIOReturnBadArgument, 'HID read: a read is already waiting');
    if (!this.#queue.length && !this.#gone && this.#owner) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
    const reports = this.#queue;
    this.#queue = [];
    const dropped = this.#dropped;
    this.#dropped = 0;
    return toOSDictionary({ reports, dropped, gone: this.#gone, closed: this.#owner === null });
  }

  /** Closes the device for its driver process (its Close, or the process is gone). */
  async close(): Promise<void> {
    if (!this.#owner) return;
    this.#owner = null;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    const handle = this.#handle;
    this.#handle = null;
    this.#backlog?.clear();
    this.#backlog = null;
    HIDRemoteServer.#detach(this.#reports);
    this.#reports = null;
    this.#wake?.();
    await handle?.close();
  }
}

/** A record saying how many reports were dropped since the last one delivered. */
function droppedRecord(count: number): Uint8Array {
  const record = Uint8Array.of(kHIDRecordDropped, 0, 0, 0, 0);
  new DataView(record.buffer).setUint32(1, count, true);
  return record;
}
