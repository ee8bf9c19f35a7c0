import { closeSync, read, writeSync } from 'node:fs';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnNotOpen } from '../IOReturn/IOReturn';
import { eventfd } from '../native/LinuxNative';
import { mach_absolute_time } from './IOClock';
import type { IOInterruptLine } from './IOInterruptDispatchSource';

/**
 * An interrupt line that is a Linux eventfd: what VFIO (`VFIO_DEVICE_SET_IRQS`) and uio signal
 * interrupts through, and what another process can signal by writing to it (pass it `fd`, for
 * instance as an inherited descriptor: an eventfd cannot be reopened through /proc). Each read of the eventfd returns how many signals arrived since the last,
 * which becomes the interrupt count.
 *
 * While a source is subscribed, one blocking read waits on a libuv threadpool thread.
 */
export class IOEventfdInterruptLine implements IOInterruptLine {
  readonly type = 'edge' as const;
  readonly #listeners = new Set<(count: number, time: bigint) => void>();
  readonly #buffer = Buffer.alloc(8);
  #fd: number;
  #reading = false;
  /** Signals this line wrote to end its own read; they are not interrupts. */
  #selfWakes = 0n;
  #closing = false;

  /** Wraps `fd` (an eventfd someone else made, now owned by this line) or makes a new eventfd. */
  constructor(fd: number = eventfd()) {
    this.#fd = fd;
  }

  /** The eventfd, for the kernel or another process to signal. -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** Signals the line `count` times, as the kernel or another process would. */
  signal(count = 1): void {
    if (this.#fd < 0) throw new IOReturnError(kIOReturnNotOpen, 'the eventfd interrupt line is closed');
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(count));
    writeSync(this.#fd, b);
  }

  subscribe(listener: (count: number, time: bigint) => void): () => void {
    if (this.#fd < 0) throw new IOReturnError(kIOReturnNotOpen, 'the eventfd interrupt line is closed');
    this.#listeners.add(listener);
    this.#read();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#wakeReader();
    };
  }

  /** Stops reading and closes the eventfd (after the pending read, if any, returns). */
  close(): void {
    if (this.#fd < 0 || this.#closing) return;
    this.#closing = true;
    if (this.#reading) this.#wakeReader();
    else this.#closeNow();
  }

  #read(): void {
    if (this.#reading || this.#closing || this.#listeners.size === 0) return;
    this.#reading = true;
    read(this.#fd, this.#buffer, 0, 8, null, (err, n) => {
      this.#reading = false;
      if (this.#closing) return this.#closeNow();
      if (err || n !== 8) return;
      let count = this.#buffer.readBigUInt64LE(0);
      const own = count < this.#selfWakes ? count : this.#selfWakes;
      this.#selfWakes -= own;
      count -= own;
      if (count > 0n) {
        const time = mach_absolute_time();
        for (const l of this.#listeners) l(Number(count), time);
      }
      this.#read();
    });
  }

  // A blocking read cannot be cancelled, and closing the fd under it does not end it: signal it.
  #wakeReader(): void {
    if (!this.#reading) return;
    this.#selfWakes++;
    this.signal(1);
  }

  #closeNow(): void {
    if (this.#fd < 0) return;
    closeSync(this.#fd);
    this.#fd = -1;
  }
}
