import { closeSync, writeSync } from 'node:fs';
import { futexWaitAsync, futexWake } from '../native/LinuxNative';
import { processExists } from '../native/processExists';
import type { IOSharedMemory } from '../memory/IOSharedMemory';
import { IODataQueueBell } from './IODataQueueBell';
import { AVAILABLE_BELL, AVAILABLE_SEQ, AVAILABLE_WAITERS, SERVICED_BELL, SERVICED_SEQ, SERVICED_WAITERS } from './IODataQueueRing';

/** Which notification a doorbell carries. */
export type IODataQueueSignal = 'available' | 'serviced';

const WAIT_SLICE_MS = 500;
const SIGNALS: readonly IODataQueueSignal[] = ['available', 'serviced'];
/** Each signal's header words: its sequence, its futex waiters, the pid of its FIFO bell. */
const WORDS = {
  available: { seq: AVAILABLE_SEQ, waiters: AVAILABLE_WAITERS, bell: AVAILABLE_BELL },
  serviced: { seq: SERVICED_SEQ, waiters: SERVICED_WAITERS, bell: SERVICED_BELL },
} as const;
const ONE = new Uint8Array([1]);

/**
 * Carries DataAvailable and DataServiced between the ends of a data queue that live in different
 * threads or processes. Each signal is a sequence word in the queue header's reserved bytes: ringing
 * bumps it and wakes the listener; an end with a handler waits for the word to change and then runs
 * its handler. Rings an end made itself are not reported back to it. Within one end, handlers are
 * invoked directly by the source; the doorbell is only for the other end.
 *
 * How a listener waits: between threads, Atomics.waitAsync (rung by Atomics.notify). Between
 * processes, a FIFO bell ({@link IODataQueueBell}) its event loop watches, named by a pid in the
 * header that the ringer writes one byte to; when no bell can be made (its path taken, another
 * listener of this signal alive), a futex wait on a threadpool thread, woken by futex wake.
 */
export class IODataQueueDoorbell {
  readonly #words: Int32Array;
  readonly #memory: IOSharedMemory;
  readonly #own = { available: 0, serviced: 0 };
  readonly #listening = { available: false, serviced: false };
  /** This end's FIFO bells, by signal (process-shared memory only). */
  readonly #bells: Record<IODataQueueSignal, IODataQueueBell | null> = { available: null, serviced: null };
  /** The other end's bell as this end rings it: its listener's pid and our write end (-1: none to ring). */
  readonly #ringing = { available: { pid: 0, fd: -1 }, serviced: { pid: 0, fd: -1 } };
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
    const w = WORDS[signal];
    this.#own[signal]++;
    Atomics.add(this.#words, w.seq, 1);
    if (this.#memory.kind === 'process' && this.#bells[signal] === null) {
      const pid = Atomics.load(this.#words, w.bell);
      if (pid !== 0) this.#ringBell(signal, pid);
    }
    if (Atomics.load(this.#words, w.waiters) > 0) this.#wake(w.seq);
  }

  /** One byte into the bell of `pid`, the listener the header names. */
  #ringBell(signal: IODataQueueSignal, pid: number): void {
    const r = this.#ringing[signal];
    // Twice at most: a bell listened to again (same pid, a new FIFO) makes the old write end EPIPE.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (r.pid !== pid) {
        if (r.fd >= 0) closeSync(r.fd);
        r.pid = pid;
        r.fd = IODataQueueBell.openToRing(this.#memory.name!, signal, pid);
      }
      if (r.fd < 0) return;
      try {
        writeSync(r.fd, ONE);
        return;
      } catch (e) {
        // Full: rings are waiting to be read, and one wake-up covers them all.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        closeSync(r.fd);
        r.fd = -1;
        r.pid = 0;
      }
    }
  }

  /** Starts waiting for the other end's rings of `signal`; `deliver` runs once per batch of them. */
  listen(signal: IODataQueueSignal, deliver: () => void): void {
    if (this.#listening[signal] || this.#closed || !this.crossesBoundary) return;
    this.#listening[signal] = true;
    this.#keepAlive ??= setInterval(() => {}, 0x7fff_ffff);
    if (this.#memory.kind === 'process' && this.#listenBell(signal, deliver)) return;
    void this.#loop(signal, deliver);
  }

  /** Listens through a FIFO bell; false when none can be had here (the futex then). */
  #listenBell(signal: IODataQueueSignal, deliver: () => void): boolean {
    const w = WORDS[signal];
    const words = this.#words;
    // A listener that died without letting go leaves its pid: the bell is free again.
    const holder = Atomics.load(words, w.bell);
    if (holder !== 0 && processExists(holder)) return false;
    let mark = this.#mark(signal);
    const bell = IODataQueueBell.listen(
      this.#memory.name!,
      signal,
      () => {
        if (this.#closed || this.#bells[signal] !== bell) return;
        if (this.#othersRang(signal, mark)) deliver();
      },
      () => {
        // The FIFO failed under us: the futex takes over, and what rang since the last read is delivered.
        if (this.#closed || this.#bells[signal] !== bell) return;
        this.#bells[signal] = null;
        Atomics.compareExchange(words, w.bell, process.pid, 0);
        const missed = this.#othersRang(signal, mark);
        void this.#loop(signal, deliver);
        if (missed) deliver();
      },
    );
    if (!bell) return false;
    if (Atomics.compareExchange(words, w.bell, holder, process.pid) !== holder) {
      bell.close();
      return false;
    }
    // Named before this read: a ring after it reaches the bell, one before it is counted as seen.
    mark = this.#mark(signal);
    this.#bells[signal] = bell;
    return true;
  }

  /** Where a listener stands on `signal`: the sequence it has seen, and this end's own rings by then. */
  #mark(signal: IODataQueueSignal): { seen: number; own: number } {
    return { seen: Atomics.load(this.#words, WORDS[signal].seq), own: this.#own[signal] };
  }

  /** Whether the other end rang `signal` since `mark` (this end's own rings do not count); moves `mark` to now. */
  #othersRang(signal: IODataQueueSignal, mark: { seen: number; own: number }): boolean {
    const now = Atomics.load(this.#words, WORDS[signal].seq);
    const others = ((now - mark.seen) | 0) - (this.#own[signal] - mark.own);
    mark.seen = now;
    mark.own = this.#own[signal];
    return others > 0;
  }

  /** Stops every wait loop (they end within one wait slice) and wakes them so they notice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    for (const signal of SIGNALS) {
      const bell = this.#bells[signal];
      if (bell) {
        this.#bells[signal] = null;
        if (!this.#memory.isClosed()) Atomics.compareExchange(this.#words, WORDS[signal].bell, process.pid, 0);
        bell.close();
      }
      const r = this.#ringing[signal];
      if (r.fd >= 0) closeSync(r.fd);
      r.fd = -1;
    }
    this.#wake(AVAILABLE_SEQ);
    this.#wake(SERVICED_SEQ);
  }

  async #loop(signal: IODataQueueSignal, deliver: () => void): Promise<void> {
    const { seq, waiters } = WORDS[signal];
    const words = this.#words;
    const mark = this.#mark(signal);
    while (!this.#closed) {
      Atomics.add(words, waiters, 1);
      try {
        if (Atomics.load(words, seq) === mark.seen) await this.#wait(seq, mark.seen);
      } finally {
        if (!this.#closed) Atomics.sub(words, waiters, 1);
      }
      if (this.#closed) return;
      if (this.#othersRang(signal, mark)) deliver();
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
