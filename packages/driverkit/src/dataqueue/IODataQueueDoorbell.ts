import { futexWaitAsync, futexWake } from '../native/LinuxNative';
import type { IOSharedMemory } from '../memory/IOSharedMemory';
import { AVAILABLE_SEQ, AVAILABLE_WAITERS, SERVICED_SEQ, SERVICED_WAITERS } from './IODataQueueRing';

/** Which notification a doorbell carries. */
export type IODataQueueSignal = 'available' | 'serviced';

const WAIT_SLICE_MS = 500;

/**
 * Carries DataAvailable and DataServiced between the ends of a data queue that live in different
 * threads or processes. Each signal is a sequence word in the queue header's reserved bytes: ringing
 * bumps it and wakes waiters (Atomics.notify on a SharedArrayBuffer, a futex on a process-shared
 * mapping); an end with a handler waits for the word to change (Atomics.waitAsync, or a futex wait on
 * a threadpool thread) and then runs its handler. Rings an end made itself are not reported back to it.
 * Within one end, handlers are invoked directly by the source; the doorbell is only for the other end.
 */
export class IODataQueueDoorbell {
  readonly #words: Int32Array;
  readonly #memory: IOSharedMemory;
  readonly #own = { available: 0, serviced: 0 };
  readonly #listening = { available: false, serviced: false };
  #closed = false;
  // Atomics.waitAsync does not keep Node's event loop alive; a listening end must, as an open socket does.
  #keepAlive: NodeJS.Timeout | null = null;

  constructor(memory: IOSharedMemory, words: Int32Array) {
    this.#memory = memory;
    this.#words = words;
  }

  /** True when another thread or process can be on the other end. */
  get crossesBoundary(): boolean {
    return this.#memory.kind !== 'heap';
  }

  ring(signal: IODataQueueSignal): void {
    if (this.#closed || !this.crossesBoundary) return;
    const [seq, waiters] = signal === 'available' ? [AVAILABLE_SEQ, AVAILABLE_WAITERS] : [SERVICED_SEQ, SERVICED_WAITERS];
    this.#own[signal]++;
    Atomics.add(this.#words, seq, 1);
    if (Atomics.load(this.#words, waiters) > 0) this.#wake(seq);
  }

  /** Starts waiting for the other end's rings of `signal`; `deliver` runs once per batch of them. */
  listen(signal: IODataQueueSignal, deliver: () => void): void {
    if (this.#listening[signal] || this.#closed || !this.crossesBoundary) return;
    this.#listening[signal] = true;
    this.#keepAlive ??= setInterval(() => {}, 0x7fff_ffff);
    void this.#loop(signal, deliver);
  }

  /** Stops every wait loop (they end within one wait slice) and wakes them so they notice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    this.#wake(AVAILABLE_SEQ);
    this.#wake(SERVICED_SEQ);
  }

  async #loop(signal: IODataQueueSignal, deliver: () => void): Promise<void> {
    const [seq, waiters] = signal === 'available' ? [AVAILABLE_SEQ, AVAILABLE_WAITERS] : [SERVICED_SEQ, SERVICED_WAITERS];
    const words = this.#words;
    let seen = Atomics.load(words, seq);
    let ownAtSeen = this.#own[signal];
    while (!this.#closed) {
      Atomics.add(words, waiters, 1);
      try {
        if (Atomics.load(words, seq) === seen) await this.#wait(seq, seen);
      } finally {
        if (!this.#closed) Atomics.sub(words, waiters, 1);
      }
      if (this.#closed) return;
      const now = Atomics.load(words, seq);
      const others = ((now - seen) | 0) - (this.#own[signal] - ownAtSeen);
      seen = now;
      ownAtSeen = this.#own[signal];
      if (others > 0) deliver();
    }
  }

  #wait(index: number, expected: number): Promise<unknown> {
    if (this.#memory.kind === 'thread') {
      // No timeout: close() notifies, and a timed waitAsync costs a platform timer task per wait.
      const r = Atomics.waitAsync(this.#words, index, expected);
      return r.async ? r.value : Promise.resolve(r.value);
    }
    return futexWaitAsync(this.#memory.address! + BigInt(index * 4), expected, WAIT_SLICE_MS);
  }

  #wake(index: number): void {
    if (this.#memory.kind === 'thread') Atomics.notify(this.#words, index);
    else if (this.#memory.kind === 'process' && !this.#memory.isClosed()) futexWake(this.#memory.address! + BigInt(index * 4));
  }
}
