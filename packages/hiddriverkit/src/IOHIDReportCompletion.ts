import { IOReturnError, OSObject, kIOReturnSuccess, kIOReturnTimeout, type OSAction } from '@driverkit/driverkit';

/**
 * The target of the OSAction the system hands `getReport`/`setReport`: `IOHIDDevice.CompleteReport`
 * settles the request through it. One per request; the first completion wins, and a request nobody
 * completes fails with kIOReturnTimeout after its completion timeout.
 */
export class IOHIDReportCompletion extends OSObject {
  readonly done: Promise<number>;
  #settle!: (status: number, count: number) => void;
  #timer: NodeJS.Timeout | null = null;
  #settled = false;

  constructor(readonly what: string) {
    super();
    this.done = new Promise<number>((resolve, reject) => {
      this.#settle = (status, count) => {
        if (this.#settled) return;
        this.#settled = true;
        if (this.#timer) clearTimeout(this.#timer);
        if (status === kIOReturnSuccess) resolve(count);
        else reject(new IOReturnError(status, `${what} completed with an error`));
      };
    });
    // A rejection nobody awaits yet (the request may already have failed another way) is not unhandled.
    this.done.catch(() => {});
  }

  /** The method the request's OSAction names: `(action, status, actualByteCount)`. */
  ReportComplete(_action: OSAction, status: number, actualByteCount: number): void {
    this.#settle(status, actualByteCount);
  }

  /** Fails the request if nobody completes it within `ms`. */
  expire(ms: number): void {
    if (this.#settled || this.#timer) return;
    this.#timer = setTimeout(() => this.#settle(kIOReturnTimeout, 0), Math.max(1, ms));
  }

  get settled(): boolean {
    return this.#settled;
  }
}
