import { IORemoteArguments, IOReturnError, kIOReturnBadArgument, kIOReturnExclusiveAccess, kIOReturnNotOpen, kIOReturnUnsupported, toOSDictionary, type IORemoteCaller, type OSDictionary } from '@driverkit/driverkit';
import type { HIDDeviceHandle } from '../backend/HIDBackend';

/** Reports queued for a driver process between its reads; past this the oldest are dropped and counted. */
const QUEUE_LIMIT = 4096;
const MAX_REPORT = 65536;

/**
 * The host's end of a HID device that a driver in its own process has open (virtual and USB HID
 * devices live in the host). The driver process reads input reports with long-polling `read` calls,
 * so reports flow as an interrupt pipe's do, and nothing is pushed to a process that stopped asking.
 */
export class HIDRemoteServer {
  #owner: IORemoteCaller | null = null;
  #handle: HIDDeviceHandle | null = null;
  #unsubscribe: (() => void) | null = null;
  #queue: Uint8Array[] = [];
  #dropped = 0;
  #gone = false;
  #wake: (() => void) | null = null;

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
      await this.#open(caller);
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

  async #open(caller: IORemoteCaller): Promise<void> {
    const local = this.localOwner();
    if (local) throw new IOReturnError(kIOReturnExclusiveAccess, `the HID device is open by ${local}`);
    if (this.#owner) throw new IOReturnError(kIOReturnExclusiveAccess, `the HID device is open by ${this.#owner.key}`);
    this.#owner = caller;
    try {
      this.#handle = await this.openDevice();
    } catch (e) {
      this.#owner = null;
      throw e;
    }
    this.#gone = false;
    this.#queue = [];
    this.#dropped = 0;
    this.#unsubscribe = this.#handle.onInputReport((report) => {
      if (this.#queue.length >= QUEUE_LIMIT) {
        this.#queue.shift();
        this.#dropped++;
      }
      this.#queue.push(report);
      this.#wake?.();
    });
    this.#handle.onRemoved(() => {
      this.#gone = true;
      this.#wake?.();
    });
    caller.onGone(() => void this.close());
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
    this.#wake?.();
    await handle?.close();
  }
}
