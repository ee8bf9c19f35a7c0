import { chmodSync, chownSync, closeSync, constants, existsSync, fstatSync, ftruncateSync, lstatSync, openSync, readdirSync, unlinkSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument, kIOReturnNoMemory, kIOReturnNotFound, kIOReturnNotPermitted } from '../IOReturn/IOReturn';
import { mapShared, nativeAvailable, unmap, type SharedMapping } from '../native/LinuxNative';

/**
 * Where a buffer's bytes live, and so who can share them:
 * - `heap`: an ArrayBuffer, this thread only;
 * - `thread`: a SharedArrayBuffer, shareable with worker threads (Atomics.wait works on it);
 * - `process`: a file under /dev/shm mapped shared, shareable with other processes by name, with a
 *   real virtual address (as IOBufferMemoryDescriptor's are shareable with apps on macOS).
 */
export type IOSharedMemoryKind = 'heap' | 'thread' | 'process';

const SHM_DIR = '/dev/shm';
const PREFIX = 'driverkit.';
const owned = new Set<string>();
// Process-shared memories mapped here, by address, for resolving a device address back to bytes.
const mappedHere = new Map<bigint, WeakRef<IOSharedMemory>>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Files this process created are removed when it exits normally; a crash leaves them for
  // IOSharedMemory.removeStale(), which the host runs for a driver process that ends and at start.
  process.on('exit', () => {
    for (const name of owned) {
      try {
        unlinkSync(`${SHM_DIR}/${name}`);
      } catch {
        // Already gone.
      }
    }
  });
}

/** The file of a driverkit shared-memory name, refusing anything else (a path, another file's name). */
function pathOf(name: string): string {
  if (!/^driverkit\.[0-9]+\.[0-9a-f]+$/.test(name)) throw new IOReturnError(kIOReturnBadArgument, `"${name}" is not a driverkit shared-memory name`);
  return `${SHM_DIR}/${name}`;
}

/**
 * The bytes behind a memory descriptor or data queue (see {@link IOSharedMemoryKind}). Process-shared
 * memory is a file `/dev/shm/driverkit.<pid>.<random>` (mode 0600) that the creating process removes
 * when it closes the memory or exits; another process maps it with {@link IOSharedMemory.attach}.
 */
export class IOSharedMemory {
  #view: Uint8Array | null = null;
  /** The buffer {@link #view} views: compared instead of `#view.buffer`, a slow getter on a hot path. */
  #viewOf: ArrayBuffer | SharedArrayBuffer | null = null;
  readonly kind: IOSharedMemoryKind;
  readonly length: number;
  /** The shm file name, for process-shared memory. */
  readonly name: string | null;
  /** The virtual address in this process, for process-shared memory. */
  readonly address: bigint | null;
  #buffer: ArrayBuffer | SharedArrayBuffer;
  #mapping: SharedMapping | null;
  #owner: boolean;
  #closed = false;

  private constructor(kind: IOSharedMemoryKind, buffer: ArrayBuffer | SharedArrayBuffer, mapping: SharedMapping | null, name: string | null, owner: boolean) {
    this.kind = kind;
    this.length = buffer.byteLength;
    this.#buffer = buffer;
    this.#mapping = mapping;
    this.name = name;
    this.address = mapping?.address ?? null;
    this.#owner = owner;
    if (mapping) mappedHere.set(mapping.address, new WeakRef(this));
  }

  /**
   * The memory mapped in this process that holds `length` bytes at virtual `address`, and the
   * offset there; null when no open process-shared memory does. What a device model in this process
   * needs to carry out the DMA a mapper handed it addresses for.
   */
  static resolve(address: bigint, length: number): { memory: IOSharedMemory; offset: number } | null {
    for (const [base, ref] of mappedHere) {
      const memory = ref.deref();
      if (!memory || memory.#closed) {
        mappedHere.delete(base);
        continue;
      }
      if (address >= base && address + BigInt(length) <= base + BigInt(memory.length)) return { memory, offset: Number(address - base) };
    }
    return null;
  }

  /** The kind `allocate` uses when none is asked for: process-shared where the native calls work. */
  static defaultKind(): IOSharedMemoryKind {
    return nativeAvailable() ? 'process' : 'thread';
  }

  /** Allocates `length` zeroed bytes of the given kind. */
  static allocate(length: number, kind: IOSharedMemoryKind = IOSharedMemory.defaultKind()): IOSharedMemory {
    if (!Number.isSafeInteger(length) || length <= 0) {
      throw new IOReturnError(kIOReturnBadArgument, `shared memory length must be a positive integer, got ${length}`);
    }
    if (kind === 'heap') return new IOSharedMemory(kind, new ArrayBuffer(length), null, null, true);
    if (kind === 'thread') return new IOSharedMemory(kind, new SharedArrayBuffer(length), null, null, true);
    const name = `${PREFIX}${process.pid}.${randomBytes(6).toString('hex')}`;
    const path = `${SHM_DIR}/${name}`;
    let fd: number;
    try {
      fd = openSync(path, 'wx+', 0o600);
    } catch (e) {
      throw new IOReturnError(kIOReturnNoMemory, `cannot create ${path} (${(e as NodeJS.ErrnoException).code})`, { osError: (e as NodeJS.ErrnoException).code, cause: e });
    }
    try {
      ftruncateSync(fd, length);
      const mapping = mapShared(fd, length);
      installExitHook();
      owned.add(name);
      return new IOSharedMemory(kind, mapping.buffer, mapping, name, true);
    } catch (e) {
      unlinkSync(path);
      throw e;
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Maps process-shared memory another process created, by its name. With `copyOnWrite` the file is
   * opened read-only and mapped privately: the creator's writes show, this process's writes do not
   * reach it (how an app maps memory a driver shares read-only).
   *
   * With `owner`, the memory must be that process's own, as a privileged end (the host) must check
   * before it maps what a driver process names: the name carries the maker's pid, which must be
   * `owner.pid`, and the file must be `owner.uid`'s with one link. Driver processes share an account, so
   * the uid alone would let one name another's queues; the pid in the name cannot be chosen, and a
   * second link (another name for someone's file) is refused. A null owner (a driver in the host) checks
   * nothing more.
   */
  static attach(name: string, options: { copyOnWrite?: boolean; owner?: { pid: number; uid: number } | null } = {}): IOSharedMemory {
    const owner = options.owner;
    if (!owner) return IOSharedMemory.#attach(name, options.copyOnWrite === true, null);
    const m = /^driverkit\.([0-9]+)\./.exec(name);
    if (m && Number(m[1]) !== owner.pid) throw new IOReturnError(kIOReturnNotPermitted, `shared memory ${name} was not made by the caller (pid ${owner.pid})`);
    return IOSharedMemory.#attach(name, options.copyOnWrite === true, (st) => {
      if (st.uid !== owner.uid || st.nlink !== 1) {
        throw new IOReturnError(kIOReturnNotPermitted, `shared memory ${name} is not the caller's own (it belongs to uid ${st.uid} with ${st.nlink} link(s); the caller is uid ${owner.uid})`);
      }
    });
  }

  static #attach(name: string, copyOnWrite: boolean, check: ((st: Stats) => void) | null): IOSharedMemory {
    const path = pathOf(name);
    let fd: number;
    try {
      fd = openSync(path, (copyOnWrite ? constants.O_RDONLY : constants.O_RDWR) | constants.O_NOFOLLOW);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new IOReturnError(code === 'ENOENT' ? kIOReturnNotFound : kIOReturnNotPermitted, `cannot open shared memory ${path} (${code})`, { osError: code, cause: e });
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw new IOReturnError(kIOReturnBadArgument, `shared memory ${path} is not a file`);
      check?.(st);
      const { size } = st;
      if (size === 0) throw new IOReturnError(kIOReturnBadArgument, `shared memory ${path} is empty`);
      const mapping = mapShared(fd, size, copyOnWrite);
      return new IOSharedMemory('process', mapping.buffer, mapping, name, false);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Lets a driver process running as another account (group `gid`) map memory a client named: the
   * file must be the client's (`ownerUid`, from its socket's credentials), so that a client can never
   * hand a driver memory it does not own; it then becomes group `gid` and mode 0660, and stays the
   * client's to remove. Run by the host (root), between a client and a driver.
   */
  static grant(name: string, ownerUid: number, gid: number | null): void {
    const path = pathOf(name);
    let st;
    try {
      st = lstatSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new IOReturnError(code === 'ENOENT' ? kIOReturnNotFound : kIOReturnNotPermitted, `cannot find shared memory ${path} (${code})`, { osError: code, cause: e });
    }
    if (!st.isFile() || st.uid !== ownerUid) {
      throw new IOReturnError(kIOReturnNotPermitted, `shared memory ${name} is not the caller's (it belongs to uid ${st.uid}; ${ownerUid < 0 ? "the caller's uid is unknown" : `the caller is uid ${ownerUid}`})`);
    }
    if (gid === null || st.gid === gid) return;
    chownSync(path, st.uid, gid);
    chmodSync(path, 0o660);
  }

  /** Wraps a SharedArrayBuffer received from another thread. */
  static fromSharedArrayBuffer(buffer: SharedArrayBuffer): IOSharedMemory {
    return new IOSharedMemory('thread', buffer, null, null, false);
  }

  /**
   * Removes shared-memory files left by processes that no longer run (a crash skips the exit hook),
   * or with `pid` only that process's (the host calls it when a driver process ends). Returns the
   * names removed.
   */
  static removeStale(pid?: number): string[] {
    const removed: string[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(SHM_DIR);
    } catch {
      return removed;
    }
    for (const n of names) {
      const m = /^driverkit\.([0-9]+)\./.exec(n);
      if (!m || (pid !== undefined && Number(m[1]) !== pid) || existsSync(`/proc/${m[1]}`)) continue;
      try {
        unlinkSync(`${SHM_DIR}/${n}`);
        removed.push(n);
      } catch {
        // Someone else removed it.
      }
    }
    return removed;
  }

  /** The bytes. After {@link close} this is an empty buffer; views taken before read zeros. */
  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.#buffer;
  }

  /** The bytes as one view, made once (after {@link close}, an empty one). @internal */
  get bytes(): Uint8Array {
    if (this.#viewOf !== this.#buffer) {
      this.#view = new Uint8Array(this.#buffer);
      this.#viewOf = this.#buffer;
    }
    return this.#view!;
  }

  /** True once closed. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** Ends the sharing (and, for its creator, removes the shm file). Views taken before read zeros. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#mapping) {
      mappedHere.delete(this.#mapping.address);
      unmap(this.#mapping);
      this.#mapping = null;
      if (this.#owner && this.name) {
        owned.delete(this.name);
        try {
          unlinkSync(`${SHM_DIR}/${this.name}`);
        } catch {
          // Already removed.
        }
      }
    }
    this.#buffer = new ArrayBuffer(0);
  }
}
