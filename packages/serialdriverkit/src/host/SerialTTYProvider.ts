import { accessSync, constants } from 'node:fs';
import { basename, delimiter, join } from 'node:path';
import type { IOServiceHost } from '@driverkit/driverkit';
import { SerialPort } from 'serialport';
import { IOSerialStreamSync } from '../IOSerialStreamSync';

/** What is known of one tty: its path and, for USB ones, what `SerialPort.list()` reports. */
export interface SerialTTYInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
  locationId?: string;
  pnpId?: string;
}

/** Whether `udevadm`, which `SerialPort.list()` runs, is on PATH (without it the list call fails hard). */
export function udevadmAvailable(): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, 'udevadm'), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * Publishes an IOSerialStreamSync nub for every tty the kernel drives: those `SerialPort.list()`
 * finds (USB adapters, ACM modems, UARTs), and the paths added by hand (a pty, a socat link: ttys
 * no listing knows). Listing runs again every `pollMs`; a tty that went away takes its nub, and so
 * its driver, with it.
 */
export class SerialTTYProvider {
  readonly #host: IOServiceHost;
  readonly #explicit = new Map<string, SerialTTYInfo>();
  readonly #nubs = new Map<string, IOSerialStreamSync>();
  #pass: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #warned = false;
  readonly #listing: boolean;

  /** `list: false` publishes only the ttys added by path (a test bench's): none of the machine's own. */
  constructor(host: IOServiceHost, options: { list?: boolean } = {}) {
    this.#host = host;
    this.#listing = options.list ?? true;
  }

  /** Starts listing, now and every `pollMs`. */
  async start(pollMs = 2000): Promise<void> {
    await this.sync();
    this.#timer = setInterval(() => void this.sync(), pollMs);
    this.#timer.unref();
  }

  /** Publishes a tty no listing finds (a pty, say); returns what withdraws it. */
  add(info: SerialTTYInfo): () => Promise<void> {
    this.#explicit.set(info.path, info);
    void this.sync();
    return async () => {
      this.#explicit.delete(info.path);
      await this.sync();
    };
  }

  /** Withdraws every tty added by path (a test's clean slate): drivers on them see them go. */
  reset(): void {
    this.#explicit.clear();
    void this.sync();
  }

  /** One listing pass (passes never overlap: an older listing must not undo a newer one). */
  sync(): Promise<void> {
    this.#pass = this.#pass.then(() => this.#syncPass()).catch((e) => this.#host.options.log(`serial: listing ttys failed: ${(e as Error).message}`));
    return this.#pass;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#pass;
    await Promise.all([...this.#nubs.values()].map((n) => n.Terminate()));
    this.#nubs.clear();
  }

  async #list(): Promise<SerialTTYInfo[]> {
    if (!this.#listing) return [];
    if (!udevadmAvailable()) {
      if (!this.#warned) this.#host.options.log('serial: udevadm is missing (Debian package udev), so SerialPort.list() cannot run; only ttys added by path are published');
      this.#warned = true;
      return [];
    }
    return (await SerialPort.list()) as SerialTTYInfo[];
  }

  async #syncPass(): Promise<void> {
    const listed = await this.#list();
    const present = new Map<string, SerialTTYInfo>(listed.map((t) => [t.path, t]));
    for (const [path, t] of this.#explicit) present.set(path, t);
    for (const [path, t] of present) {
      if (this.#nubs.has(path)) continue;
      const nub = new IOSerialStreamSync();
      nub.setName(basename(path));
      for (const [k, v] of Object.entries(propertiesOf(t))) nub.setProperty(k, v);
      this.#nubs.set(path, nub);
      this.#host.publishNub(nub);
      nub.release();
    }
    for (const [path, nub] of this.#nubs) {
      if (present.has(path)) continue;
      this.#nubs.delete(path);
      await nub.Terminate();
    }
  }
}

function propertiesOf(t: SerialTTYInfo): Record<string, string | number | string[][]> {
  const hex = (s: string | undefined) => (s && /^[0-9a-f]{1,4}$/i.test(s) ? parseInt(s, 16) : undefined);
  const props: Record<string, string | number | string[][]> = {
    IOCalloutDevice: t.path,
    IODialinDevice: t.path,
    IOTTYDevice: basename(t.path),
    // As Apple's serial nubs do: a driver on this port needs the serial family entitlement.
    IOServiceDEXTEntitlements: [['com.apple.developer.driverkit.family.serial']],
  };
  const vid = hex(t.vendorId);
  const pid = hex(t.productId);
  if (vid !== undefined) props.idVendor = vid;
  if (pid !== undefined) props.idProduct = pid;
  if (t.serialNumber) props['USB Serial Number'] = t.serialNumber;
  if (t.manufacturer) props['USB Vendor Name'] = t.manufacturer;
  if (t.locationId) props.IOSerialLocation = t.locationId;
  if (t.pnpId) props.IOSerialPnPID = t.pnpId;
  return props;
}
