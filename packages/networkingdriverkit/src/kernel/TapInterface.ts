import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { IOReturnError, LinuxNative, kIOReturnBadArgument, kIOReturnBusy, kIOReturnIOError, kIOReturnNoDevice, kIOReturnNotPermitted, type IOReturn } from '@driverkit/driverkit';
import { formatMAC, parseMAC } from '../NetworkingDriverKitConstants';

const run = promisify(execFile);

const TUNSETIFF = 0x400454ca;
const TUNSETCARRIER = 0x400454e2;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
// Interface flags as /sys/class/net/<if>/flags shows them.
const IFF_UP = 0x1;
const IFF_PROMISC = 0x100;
const IFF_ALLMULTI = 0x200;

/** What the kernel says of an interface now (sysfs and /proc/net/dev_mcast). */
export interface TapState {
  up: boolean;
  promiscuous: boolean;
  allMulticast: boolean;
  mtu: number;
  mac: string;
  /** The link-layer multicast addresses the stack joined, sorted. */
  multicast: string[];
}

/**
 * A TAP interface (`/dev/net/tun`, `IFF_TAP | IFF_NO_PI`): frames the kernel sends on it are read
 * here, frames written here are received by the kernel. Not persistent: it disappears when its
 * descriptor closes, which is also what the kernel does if this process dies. The descriptor is
 * non-blocking; reads and writes go straight to the fd ({@link LinuxNative.readAt}), not through libuv.
 */
export class TapInterface {
  #closed = false;

  private constructor(
    readonly fd: number,
    readonly name: string,
  ) {}

  /** Creates the interface; `name` may hold `%d` for the kernel to number it (`dk%d` → dk0, dk1…). */
  static open(name: string): TapInterface {
    if (!/^[A-Za-z0-9_.%-]{1,15}$/.test(name) || (name.match(/%/g)?.length ?? 0) > 1) {
      throw new IOReturnError(kIOReturnBadArgument, `"${name}" is not a usable interface name (1–15 letters, digits, _ . -, at most one %d)`);
    }
    let fd: number;
    try {
      fd = openSync('/dev/net/tun', constants.O_RDWR | constants.O_NONBLOCK | 0o2000000);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'the tun module is not loaded (modprobe tun)' : code === 'EACCES' || code === 'EPERM' ? 'permission denied: the host needs CAP_NET_ADMIN (run it as root)' : code;
      throw new IOReturnError(code === 'ENOENT' ? kIOReturnNoDevice : kIOReturnNotPermitted, `cannot open /dev/net/tun: ${why}`, { osError: code, cause: e });
    }
    const ifr = new Uint8Array(40);
    ifr.set(Buffer.from(name), 0);
    new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
    try {
      LinuxNative.ioctl(fd, TUNSETIFF, ifr);
    } catch (e) {
      closeSync(fd);
      const errno = (e as IOReturnError).osError as number | undefined;
      const code: IOReturn = errno === 16 ? kIOReturnBusy : errno === 1 ? kIOReturnNotPermitted : kIOReturnIOError;
      const why = errno === 16 ? 'an interface of that name exists and is not a free TAP' : errno === 1 ? 'permission denied (CAP_NET_ADMIN)' : `errno ${errno}`;
      throw new IOReturnError(code, `cannot create TAP interface ${name}: ${why}`, { osError: errno, cause: e });
    }
    const end = ifr.indexOf(0);
    return new TapInterface(fd, Buffer.from(ifr.subarray(0, end < 0 ? IFNAMSIZ : end)).toString());
  }

  /** Carrier on or off (TUNSETCARRIER): what `ip link` shows as LOWER_UP or NO-CARRIER. */
  setCarrier(on: boolean): void {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setInt32(0, on ? 1 : 0, true);
    LinuxNative.ioctl(this.fd, TUNSETCARRIER, v);
  }

  async setMAC(mac: Uint8Array): Promise<void> {
    await this.#ip('address', formatMAC(mac));
  }

  async setMTU(mtu: number): Promise<void> {
    await this.#ip('mtu', String(mtu));
  }

  async #ip(what: string, value: string): Promise<void> {
    try {
      await run('ip', ['link', 'set', 'dev', this.name, what, value]);
    } catch (e) {
      throw new IOReturnError(kIOReturnIOError, `ip link set dev ${this.name} ${what} ${value} failed: ${((e as { stderr?: string }).stderr ?? (e as Error).message).trim()}`, { cause: e });
    }
  }

  /** The interface as the kernel sees it; null once it is gone. */
  state(): TapState | null {
    try {
      const sys = (f: string) => readFileSync(`/sys/class/net/${this.name}/${f}`, 'utf8').trim();
      const flags = parseInt(sys('flags'), 16);
      const ifindex = sys('ifindex');
      const multicast = readFileSync('/proc/net/dev_mcast', 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => f[0] === ifindex && f[4]?.length === 12)
        .map((f) => formatMAC(parseMAC(f[4]!.replace(/(..)(?!$)/g, '$1:'))!))
        .sort();
      return { up: (flags & IFF_UP) !== 0, promiscuous: (flags & IFF_PROMISC) !== 0, allMulticast: (flags & IFF_ALLMULTI) !== 0, mtu: Number(sys('mtu')), mac: sys('address'), multicast };
    } catch {
      return null;
    }
  }

  isClosed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }
}
