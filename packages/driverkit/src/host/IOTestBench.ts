import { IOServiceHost, type IOServiceHostOptions } from './IOServiceHost';

/** What a family's virtual backend gives a test bench: a way to take every device away. */
export interface IOTestBenchBackend {
  reset(): void;
}

/**
 * A driver host with one family on a virtual backend of its own, for a driver's tests: what
 * node-serialport's MockBinding is to port code. Families subclass it (`USBTestBench`, `HIDTestBench`)
 * to name their backend and register their plugin on it; {@link reset} takes every device away between
 * tests and {@link stop} ends it all. Each bench is its own host: two never share a device.
 * Not an Apple class.
 */
export class IOTestBench<B extends IOTestBenchBackend> {
  readonly #stopFamily: () => Promise<void>;
  /** What the bench made for a test beyond its backend's devices (ptys, links), each closed by `reset`. */
  readonly #held = new Set<() => void>();

  protected constructor(
    /** The driver host (in process unless told otherwise). */
    readonly host: IOServiceHost,
    protected readonly backend: B,
    stopFamily: () => Promise<void>,
  ) {
    this.#stopFamily = stopFamily;
  }

  /** The host a bench's `create` registers its family on. */
  protected static newHost(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>>): IOServiceHost {
    return new IOServiceHost({ mode: options.mode ?? 'in-process', log: options.log ?? (() => {}) });
  }

  /**
   * For a subclass: `close` (what lets go of something the bench made for a test) runs at the next
   * `reset` unless called first; returns it made idempotent, for the test's own `remove`.
   */
  protected closeOnReset(close: () => void): () => void {
    const once = () => {
      if (!this.#held.delete(once)) return;
      close();
    };
    this.#held.add(once);
    return once;
  }

  /** Takes every device away: drivers on them see the removal, as on a real bus. */
  reset(): void {
    this.backend.reset();
    for (const close of [...this.#held]) close();
  }

  async stop(): Promise<void> {
    this.reset();
    await this.#stopFamily();
    await this.host.stop();
  }
}
