/**
 * The Linux calls Node lacks, through koffi (prebuilt, nothing compiles): mmap/munmap, mlock, futex
 * wait and wake, eventfd, mkfifo, poll, pseudo-terminals and ioctl, SO_PEERCRED, the page size. Families reach it as `LinuxNative` from
 * the package entry. This is the one module in the core that touches
 * native code; everything else goes through it. Loading is lazy, so code that never needs it never loads libc.
 */
import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnIOError, kIOReturnNoResources, kIOReturnNotFound, kIOReturnNotPermitted, kIOReturnUnsupported, kIOReturnVMError } from '../IOReturn/IOReturn';

type Fn = ((...args: unknown[]) => unknown) & { async: (...args: unknown[]) => void };

interface Libc {
  koffi: { view(ptr: unknown, length: number): ArrayBuffer; address(ptr: unknown): bigint };
  mmap: Fn;
  munmap: Fn;
  futexWait: Fn;
  futexWake: Fn;
  sysconf: Fn;
  mlock: Fn;
  munlock: Fn;
  eventfd: Fn;
  mkfifo: Fn;
  getsockopt: Fn;
  poll: Fn;
  posixOpenpt: Fn;
  grantpt: Fn;
  unlockpt: Fn;
  ptsnameR: Fn;
  ioctl: Fn;
  ioctlValue: Fn;
  read: Fn;
  write: Fn;
  inotifyInit: Fn;
  inotifyAddWatch: Fn;
  errno: () => number;
}

let libc: Libc | null = null;
let loadError: string | null = null;

const SYS_futex = process.arch === 'arm64' ? 98 : 202;
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FAILED = (1n << 64n) - 1n;
const _SC_PAGESIZE = 30;

function load(): Libc {
  if (libc) return libc;
  if (loadError) throw new IOReturnError(kIOReturnUnsupported, loadError);
  if (process.platform !== 'linux') {
    loadError = `native calls are available on Linux only (this is ${process.platform})`;
    throw new IOReturnError(kIOReturnUnsupported, loadError);
  }
  try {
    const require = createRequire(import.meta.url);
    const koffi = require('koffi');
    const lib = koffi.load('libc.so.6');
    libc = {
      koffi,
      mmap: lib.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)'),
      munmap: lib.func('int munmap(void *addr, size_t len)'),
      futexWait: lib.func('long syscall(long num, void *addr, int op, int val, void *timeout)'),
      futexWake: lib.func('long syscall(long num, void *addr, int op, int val)'),
      sysconf: lib.func('long sysconf(int name)'),
      mlock: lib.func('int mlock(void *addr, size_t len)'),
      munlock: lib.func('int munlock(void *addr, size_t len)'),
      eventfd: lib.func('int eventfd(unsigned int initval, int flags)'),
      mkfifo: lib.func('int mkfifo(const char *path, uint32_t mode)'),
      getsockopt: lib.func('int getsockopt(int fd, int level, int name, _Out_ uint8_t *value, _Inout_ uint32_t *length)'),
      poll: lib.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
      posixOpenpt: lib.func('int posix_openpt(int flags)'),
      grantpt: lib.func('int grantpt(int fd)'),
      unlockpt: lib.func('int unlockpt(int fd)'),
      ptsnameR: lib.func('int ptsname_r(int fd, _Out_ uint8_t *buf, size_t len)'),
      // ioctl is variadic; every request used here takes one pointer, which the fixed prototype passes alike.
      ioctl: lib.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)'),
      ioctlValue: lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']),
      read: lib.func('long read(int fd, void *buf, unsigned long count)'),
      inotifyInit: lib.func('int inotify_init1(int flags)'),
      inotifyAddWatch: lib.func('int inotify_add_watch(int fd, const char *path, uint32_t mask)'),
      write: lib.func('long write(int fd, void *buf, unsigned long count)'),
      errno: () => koffi.errno(),
    };
    return libc;
  } catch (e) {
    loadError = `cannot load libc through koffi: ${e instanceof Error ? e.message : String(e)}`;
    throw new IOReturnError(kIOReturnUnsupported, loadError, { cause: e });
  }
}

/** True when the native calls can be made here. */
export function nativeAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** The system page size. */
export function pageSize(): number {
  return Number(load().sysconf(_SC_PAGESIZE));
}

/** A shared mapping of a file: its address, and an ArrayBuffer over its bytes (no copy). */
export interface SharedMapping {
  readonly address: bigint;
  readonly length: number;
  readonly buffer: ArrayBuffer;
}

// Views over a koffi buffer cannot be detached (every transfer copies), so unmapping while one is
// reachable would let JavaScript touch unmapped memory. A range is therefore unmapped only when the
// garbage collector has freed its ArrayBuffer, and thereby every view of it.
const unmapWhenCollected = new FinalizationRegistry<{ address: bigint; length: number }>(({ address, length }) => {
  libc?.munmap(address, length);
});

/**
 * Maps `length` bytes of the open file `fd` from `offset` (page aligned; a device's region, such
 * as a VFIO BAR at index << 40) read-write and shared (`MAP_SHARED`), or with `copyOnWrite` privately
 * (`MAP_PRIVATE`): this process sees others' writes to pages it has not written, and its own writes
 * stay its own.
 */
export function mapShared(fd: number, length: number, copyOnWrite = false, offset = 0): SharedMapping {
  const c = load();
  const ptr = c.mmap(null, length, PROT_READ | PROT_WRITE, copyOnWrite ? MAP_PRIVATE : MAP_SHARED, fd, offset);
  const address = c.koffi.address(ptr);
  if (address === MAP_FAILED || address === 0n) {
    throw new IOReturnError(kIOReturnVMError, `mmap of ${length} bytes failed (errno ${c.errno()})`, { osError: c.errno() });
  }
  const buffer = c.koffi.view(ptr, length);
  unmapWhenCollected.register(buffer, { address, length });
  return { address, length, buffer };
}

/**
 * Ends the sharing of a mapping now: the range is replaced by private zero pages, so the file's pages
 * are released and views still held read zeros instead of faulting. The range itself is unmapped once
 * its ArrayBuffer is collected.
 */
export function unmap(mapping: SharedMapping): void {
  const c = load();
  const ptr = c.mmap(mapping.address, mapping.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
  if (c.koffi.address(ptr) !== mapping.address) {
    throw new IOReturnError(kIOReturnVMError, `cannot retire the mapping at 0x${mapping.address.toString(16)} (errno ${c.errno()})`);
  }
}

/** Wakes up to `count` waiters on the 32-bit word at `address`. */
export function futexWake(address: bigint, count = 0x7fffffff): number {
  return Number(load().futexWake(SYS_futex, address, FUTEX_WAKE, count));
}

/**
 * Waits, on a threadpool thread, until the 32-bit word at `address` no longer holds `expected` and a
 * wake arrives, or `timeoutMs` passes. Never blocks the event loop. Each pending wait occupies one of
 * libuv's threadpool threads (4 unless UV_THREADPOOL_SIZE says otherwise).
 */
export function futexWaitAsync(address: bigint, expected: number, timeoutMs: number): Promise<void> {
  const c = load();
  const ts = new BigInt64Array([BigInt(Math.floor(timeoutMs / 1000)), BigInt(Math.round((timeoutMs % 1000) * 1e6))]);
  return new Promise((resolve) => {
    c.futexWait.async(SYS_futex, address, FUTEX_WAIT, expected | 0, ts, () => resolve());
  });
}

/**
 * Wires `length` bytes at `address` into RAM (mlock), so their physical pages stay put while a device
 * may use them. Throws `kIOReturnNoResources` when RLIMIT_MEMLOCK forbids it.
 */
export function wire(address: bigint, length: number): void {
  const c = load();
  if (Number(c.mlock(address, length)) !== 0) {
    const errno = c.errno();
    throw new IOReturnError(kIOReturnNoResources, `cannot wire ${length} bytes at 0x${address.toString(16)}: mlock failed (errno ${errno}${errno === 12 ? ', RLIMIT_MEMLOCK' : ''})`, { osError: errno });
  }
}

/** Undoes {@link wire}. */
export function unwire(address: bigint, length: number): void {
  load().munlock(address, length);
}

const EFD_CLOEXEC = 0o2000000;

/** A new eventfd (blocking, close-on-exec) with a zero counter. */
export function eventfd(): number {
  const c = load();
  const fd = Number(c.eventfd(0, EFD_CLOEXEC));
  if (fd < 0) throw new IOReturnError(kIOReturnNoResources, `eventfd failed (errno ${c.errno()})`, { osError: c.errno() });
  return fd;
}

/**
 * Makes a FIFO (named pipe) at `path` with `mode` less the umask (Node has no mkfifo). Throws
 * kIOReturnNotPermitted carrying the errno (17 is EEXIST: something is at the path already).
 */
export function mkfifo(path: string, mode: number): void {
  const c = load();
  if (Number(c.mkfifo(path, mode)) === 0) return;
  const errno = c.errno();
  throw new IOReturnError(kIOReturnNotPermitted, `mkfifo ${path} failed (errno ${errno}${errno === 17 ? ', EEXIST' : ''})`, { osError: errno });
}

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

/** What the kernel says about the process at the other end of a Unix socket (SO_PEERCRED). */
export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** The peer of the connected Unix socket `fd`, as the kernel recorded it at connect time. */
export function peerCredentials(fd: number): PeerCredentials {
  const c = load();
  const value = new Uint8Array(12);
  const length = [12];
  if (Number(c.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, value, length)) !== 0) {
    throw new IOReturnError(kIOReturnNotPermitted, `getsockopt(SO_PEERCRED) on fd ${fd} failed (errno ${c.errno()})`, { osError: c.errno() });
  }
  const v = new DataView(value.buffer);
  return { pid: v.getInt32(0, true), uid: v.getUint32(4, true), gid: v.getUint32(8, true) };
}

const POLLIN = 0x001;
const POLLOUT = 0x004;
const POLLERR = 0x008;
const POLLHUP = 0x010;
const POLLNVAL = 0x020;

/**
 * Waits on a threadpool thread until one of `fds` is readable, hung up or in error, or `timeoutMs`
 * passes (−1: no limit); resolves with those descriptors (none on timeout). For character devices
 * libuv cannot watch (/dev/uhid, …): pair the device with an {@link eventfd} and write to that to
 * end the wait, since closing a descriptor does not wake a thread blocked on it.
 */
export function pollReadable(fds: readonly number[], timeoutMs = -1): Promise<number[]> {
  return pollFor(fds, POLLIN, timeoutMs);
}

/** As {@link pollReadable}, for room to write (POLLOUT): a non-blocking descriptor that said EAGAIN. */
export function pollWritable(fds: readonly number[], timeoutMs = -1): Promise<number[]> {
  return pollFor(fds, POLLOUT, timeoutMs);
}

function pollFor(fds: readonly number[], events: number, timeoutMs: number): Promise<number[]> {
  const c = load();
  const table = new Uint8Array(8 * fds.length);
  const view = new DataView(table.buffer);
  fds.forEach((fd, i) => {
    view.setInt32(8 * i, fd, true);
    view.setInt16(8 * i + 4, events, true);
  });
  return new Promise((resolve, reject) => {
    c.poll.async(table, fds.length, timeoutMs, (err: unknown, n: number) => {
      if (err) return reject(err);
      if (n < 0) return reject(new IOReturnError(kIOReturnIOError, `poll failed (errno ${c.errno()})`, { osError: c.errno() }));
      resolve(fds.filter((_, i) => view.getInt16(8 * i + 6, true) & (events | POLLERR | POLLHUP | POLLNVAL)));
    });
  });
}

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

/** A pseudo-terminal pair: the master's descriptor and the slave's path (/dev/pts/N). */
export interface PseudoTerminalPair {
  master: number;
  path: string;
}

/**
 * Opens a new pseudo-terminal master (posix_openpt, grantpt, unlockpt) and names its slave. The
 * slave is not opened: whoever wants it opens `path`. The master is non-blocking: libuv keeps a
 * master it cannot reopen in blocking mode, where a write to a slave nobody reads would stall the
 * event loop.
 */
export function openpt(): PseudoTerminalPair {
  const c = load();
  const master = Number(c.posixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
  if (master < 0) throw new IOReturnError(kIOReturnNoResources, `posix_openpt failed (errno ${c.errno()}): no pseudo-terminal available`, { osError: c.errno() });
  const fail = (what: string) => {
    const errno = c.errno();
    closeSync(master);
    return new IOReturnError(kIOReturnIOError, `${what} on the new pseudo-terminal failed (errno ${errno})`, { osError: errno });
  };
  if (Number(c.grantpt(master)) !== 0) throw fail('grantpt');
  if (Number(c.unlockpt(master)) !== 0) throw fail('unlockpt');
  const name = new Uint8Array(128);
  if (Number(c.ptsnameR(master, name, name.length)) !== 0) throw fail('ptsname_r');
  return { master, path: Buffer.from(name.subarray(0, name.indexOf(0))).toString() };
}

/**
 * `ioctl(fd, request, arg)` with `arg` pointing at `buffer` (read and written in place). Throws
 * kIOReturnIOError carrying the errno when the call fails.
 */
export function ioctl(fd: number, request: number, buffer: Uint8Array): number {
  const c = load();
  return ioctlResult(c, fd, request, Number(c.ioctl(fd, request, buffer)));
}

function ioctlResult(c: Libc, fd: number, request: number, r: number): number {
  if (r < 0) {
    const errno = c.errno();
    throw new IOReturnError(kIOReturnIOError, `ioctl 0x${request.toString(16)} on fd ${fd} failed (errno ${errno})`, { osError: errno });
  }
  return r;
}

/**
 * `ioctl(fd, request, value)` for the requests whose argument is a number, not a pointer
 * (VFIO_SET_IOMMU, VFIO_CHECK_EXTENSION). Throws kIOReturnIOError carrying the errno.
 */
export function ioctlValue(fd: number, request: number, value: number): number {
  const c = load();
  return ioctlResult(c, fd, request, Number(c.ioctlValue(fd, request, value)));
}

/**
 * `read(fd, address, length)` straight into memory this process mapped (a shared packet buffer), on
 * this thread: no threadpool hop, no copy, no exception. Returns the byte count, or −errno (−11,
 * EAGAIN, when a non-blocking descriptor has nothing). For hot paths that batch reads after a poll.
 */
export function readAt(fd: number, address: bigint, length: number): number {
  const c = load();
  const n = Number(c.read(fd, address, length));
  return n >= 0 ? n : -c.errno();
}

/** As {@link readAt}, for `write(fd, address, length)`: the bytes written, or −errno. */
export function writeAt(fd: number, address: bigint, length: number): number {
  const c = load();
  const n = Number(c.write(fd, address, length));
  return n >= 0 ? n : -c.errno();
}

/** inotify event bits (linux/inotify.h) for {@link inotifyWatch}. */
export const IN_OPEN = 0x20;
export const IN_CLOSE_WRITE = 0x08;
export const IN_CLOSE_NOWRITE = 0x10;

/**
 * An inotify descriptor (non-blocking, close-on-exec) watching `path` for `mask` events: what Node's
 * fs.watch cannot report (opens and closes of a file, a device node among them). Wait for events with
 * {@link pollReadable}, then read them (16-byte `struct inotify_event` headers, each followed by `len`
 * name bytes). Throws kIOReturnNotFound for a missing path, kIOReturnNoResources when inotify is out of watches.
 */
export function inotifyWatch(path: string, mask: number): number {
  const c = load();
  const fd = Number(c.inotifyInit(O_NONBLOCK | O_CLOEXEC));
  if (fd < 0) throw new IOReturnError(kIOReturnNoResources, `inotify_init1 failed (errno ${c.errno()})`, { osError: c.errno() });
  if (Number(c.inotifyAddWatch(fd, path, mask)) < 0) {
    const errno = c.errno();
    closeSync(fd);
    throw new IOReturnError(errno === 2 ? kIOReturnNotFound : kIOReturnNoResources, `inotify_add_watch(${path}) failed (errno ${errno})`, { osError: errno });
  }
  return fd;
}
