// Inside the guest: a HID device made from user space through /dev/uhid, which hid-generic turns into
// a /dev/hidrawN that node-hid (and the hidraw backend) opens like any real HID device.
import { closeSync, openSync, read, writeSync } from 'node:fs';
import { loadModules } from './modules';

// struct uhid_event (linux/uhid.h): u32 type, then the largest request, UHID_CREATE2's 4372 bytes.
const EVENT_SIZE = 4 + 4372;
const UHID_DESTROY = 1;
const UHID_OUTPUT = 6;
const UHID_CREATE2 = 11;
const UHID_INPUT2 = 12;
const BUS_USB = 3;

export interface UhidDeviceOptions {
  name: string;
  vendor: number;
  product: number;
  reportDescriptor: Uint8Array;
}

/** One uhid device: send input reports, receive the output reports the host side writes. */
export class UhidDevice {
  readonly #fd: number;
  #closed = false;
  readonly outputs: Buffer[] = [];
  #waiters: Array<() => void> = [];

  private constructor(fd: number) {
    this.#fd = fd;
    this.#readLoop();
  }

  static create(options: UhidDeviceOptions): UhidDevice {
    loadModules('uhid', 'hid_generic');
    const fd = openSync('/dev/uhid', 'r+');
    const ev = Buffer.alloc(EVENT_SIZE);
    ev.writeUInt32LE(UHID_CREATE2, 0);
    ev.write(options.name, 4, 127, 'utf8');
    // phys (64) and uniq (64) stay empty
    let o = 4 + 128 + 64 + 64;
    ev.writeUInt16LE(options.reportDescriptor.length, o);
    ev.writeUInt16LE(BUS_USB, o + 2);
    ev.writeUInt32LE(options.vendor, o + 4);
    ev.writeUInt32LE(options.product, o + 8);
    ev.writeUInt32LE(0x0100, o + 12); // version
    ev.writeUInt32LE(0, o + 16); // country
    o += 20;
    Buffer.from(options.reportDescriptor).copy(ev, o);
    writeSync(fd, ev);
    return new UhidDevice(fd);
  }

  /** Sends one input report (with its report id first, if the descriptor uses ids). */
  sendInput(report: Uint8Array): void {
    const ev = Buffer.alloc(EVENT_SIZE);
    ev.writeUInt32LE(UHID_INPUT2, 0);
    ev.writeUInt16LE(report.length, 4);
    Buffer.from(report).copy(ev, 6);
    writeSync(this.#fd, ev);
  }

  /** Resolves with the next output report the host side writes. */
  async nextOutput(ms = 10_000): Promise<Buffer> {
    const end = Date.now() + ms;
    while (this.outputs.length === 0) {
      if (Date.now() > end) throw new Error(`no output report within ${ms} ms`);
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
    return this.outputs.shift()!;
  }

  #readLoop(): void {
    const buf = Buffer.alloc(EVENT_SIZE);
    read(this.#fd, buf, 0, EVENT_SIZE, null, (err, n) => {
      if (this.#closed || err || n < 4) return;
      if (buf.readUInt32LE(0) === UHID_OUTPUT) {
        // struct uhid_output_req { u8 data[4096]; u16 size; u8 rtype; }
        const size = buf.readUInt16LE(4 + 4096);
        this.outputs.push(Buffer.from(buf.subarray(4, 4 + size)));
        for (const w of this.#waiters.splice(0)) w();
      }
      this.#readLoop();
    });
  }

  /** Destroys the device (its hidraw node goes) and closes /dev/uhid. */
  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    const ev = Buffer.alloc(EVENT_SIZE);
    ev.writeUInt32LE(UHID_DESTROY, 0);
    writeSync(this.#fd, ev);
    closeSync(this.#fd);
  }
}
