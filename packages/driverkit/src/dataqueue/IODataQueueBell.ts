import { chmodSync, closeSync, constants, fstatSync, lstatSync, openSync, unlinkSync } from 'node:fs';
import { Socket } from 'node:net';
import { mkfifo } from '../native/LinuxNative';

const SHM_DIR = '/dev/shm';

/** Bell paths this process listens on: removed when it exits (a crash leaves them to IOSharedMemory.removeStale). */
const listening = new Set<string>();
let exitHookInstalled = false;

/**
 * The FIFO through which process `pid` hears `signal` of the data queue in shared memory
 * `memoryName` (a `driverkit.<pid>.<hex>` name). It is named after the listening process as its
 * shared memory is, so `IOSharedMemory.removeStale(pid)` removes it once that process is gone.
 */
export function bellPath(memoryName: string, signal: string, pid: number): string {
  return `${SHM_DIR}/driverkit.${pid}.bell.${memoryName.slice('driverkit.'.length)}.${signal}`;
}

/**
 * The listening end of a data queue's doorbell between processes: a FIFO under /dev/shm that the
 * event loop watches like any pipe (epoll), so a ring reaches the listener's loop directly. The
 * futex wait it replaces parked a threadpool thread per listening queue, and each wake-up crossed
 * from that thread to the loop and back (about three times the CPU of a pipe's wake-up, measured).
 *
 * The FIFO is mode 0622: whoever may ring (the other end, possibly another account) can write, only
 * the listener can read. A byte carries no data; the listener reads the queue's sequence words on
 * each wake-up, so a stray write costs a look at the queue and nothing more.
 */
export class IODataQueueBell {
  readonly path: string;
  readonly #socket: Socket;
  /** A write end of our own: a FIFO whose last writer closes reads as ended. */
  readonly #holdOpen: number;
  #closed = false;

  private constructor(path: string, socket: Socket, holdOpen: number) {
    this.path = path;
    this.#socket = socket;
    this.#holdOpen = holdOpen;
  }

  /**
   * Makes this process's bell for `signal` of the queue in `memoryName`; `rung` runs on the event
   * loop after rings (once or more per batch), `broken` if the FIFO fails later. Null when no bell
   * can be made here (the path holds something not ours, or this process listens there already):
   * the caller waits on the futex instead.
   */
  static listen(memoryName: string, signal: string, rung: () => void, broken: () => void): IODataQueueBell | null {
    const path = bellPath(memoryName, signal, process.pid);
    if (listening.has(path) || !IODataQueueBell.#make(path)) return null;
    let fd = -1;
    let holdOpen = -1;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      const st = fstatSync(fd);
      if (!st.isFIFO() || st.uid !== process.getuid?.()) throw new Error(`${path} is not this process's FIFO`);
      holdOpen = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      if (fd >= 0) closeSync(fd);
      if (holdOpen >= 0) closeSync(holdOpen);
      IODataQueueBell.#unlink(path);
      return null;
    }
    // onread with a buffer of our own: no Buffer per wake-up, and the bytes are never looked at. (Node's
    // Socket constructor takes onread as net.connect does; @types/node lists it for connect only.)
    const options = { fd, readable: true, writable: false, onread: { buffer: Buffer.alloc(256), callback: () => void rung() } };
    const socket = new Socket(options as ConstructorParameters<typeof Socket>[0]);
    const bell = new IODataQueueBell(path, socket, holdOpen);
    socket.on('error', () => {});
    socket.on('close', () => {
      if (!bell.#closed) {
        bell.close();
        broken();
      }
    });
    listening.add(path);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.on('exit', () => listening.forEach(IODataQueueBell.#unlink));
    }
    return bell;
  }

  /**
   * Opens `pid`'s bell for `signal` of the queue in `memoryName` to ring it; -1 when there is none
   * to ring (gone, or not a FIFO: the word naming the listener lives in memory the other end can write).
   */
  static openToRing(memoryName: string, signal: string, pid: number): number {
    if (!Number.isInteger(pid) || pid <= 0) return -1;
    let fd = -1;
    try {
      // Non-blocking: no reader is ENXIO at once, and a full FIFO (rings not yet read) is EAGAIN, not a wait.
      fd = openSync(bellPath(memoryName, signal, pid), constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
      if (fstatSync(fd).isFIFO()) return fd;
    } catch {
      // Gone, or never there.
    }
    if (fd >= 0) closeSync(fd);
    return -1;
  }

  /** Stops listening and removes the FIFO. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.destroy();
    closeSync(this.#holdOpen);
    listening.delete(this.path);
    IODataQueueBell.#unlink(this.path);
  }

  /** Makes the FIFO; a leftover of our own (an earlier process with our pid that crashed) is replaced. */
  static #make(path: string): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        mkfifo(path, 0o600);
        // After mkfifo, not through it: the umask would take the others' write bit away.
        chmodSync(path, 0o622);
        return true;
      } catch (e) {
        if ((e as { osError?: unknown }).osError !== 17 || attempt > 0) return false;
        try {
          const st = lstatSync(path);
          if (!st.isFIFO() || st.uid !== process.getuid?.()) return false;
          unlinkSync(path);
        } catch {
          return false;
        }
      }
    }
    return false;
  }

  static #unlink(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}
