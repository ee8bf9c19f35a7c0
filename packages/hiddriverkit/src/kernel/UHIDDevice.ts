import { closeSync, openSync, readSync, writeSync, constants } from 'node:fs';
import {
  IOReturnError,
  LinuxNative,
  kIOReturnBadArgument,
  kIOReturnNotOpen,
  kIOReturnNotPrivileged,
  kIOReturnUnsupported,
  kIOReturnIOError,
} from '@driverkit/driverkit';
import type { IOHIDReportType } from '../IOHIDElement';

// linux/uhid.h. struct uhid_event is packed: a u32 type, then the largest request (UHID_CREATE2's 4372 bytes).
const EVENT_SIZE = 4 + 4372;
const UHID_DATA_MAX = 4096;
const HID_MAX_DESCRIPTOR_SIZE = 4096;
const UHID_DESTROY = 1;
const UHID_START = 2;
const UHID_STOP = 3;
const UHID_OPEN = 4;
const UHID_CLOSE = 5;
const UHID_OUTPUT = 6;
const UHID_GET_REPORT = 9;
const UHID_GET_REPORT_REPLY = 10;
const UHID_CREATE2 = 11;
const UHID_INPUT2 = 12;
const UHID_SET_REPORT = 13;
const UHID_SET_REPORT_REPLY = 14;
const RTYPES: IOHIDReportType[] = ['feature', 'output', 'input'];
const EIO = 5;

/** Linux bus numbers (linux/input.h) a uhid device may claim. */
export const BUS_USB = 0x03;
export const BUS_BLUETOOTH = 0x05;
export const BUS_VIRTUAL = 0x06;

/** What the kernel is told about the device (struct uhid_create2_req). */
export interface UHIDDeviceOptions {
  name: string;
  /** Where the device sits; hidraw's HIDIOCGRAWPHYS. */
  phys?: string;
  /** Its unique ID; becomes the hidraw device's serial number. */
  uniq?: string;
  bus?: number;
  vendor: number;
  product: number;
  version?: number;
  country?: number;
  reportDescriptor: Uint8Array;
}

/** What the kernel asks of the device, once it is bound to a HID driver. */
export interface UHIDDeviceHandlers {
  /** An output report written to hidraw (report ID first when the device numbers its reports). */
  output?(report: Uint8Array, type: IOHIDReportType): void;
  /** HIDIOCGFEATURE and friends: the report's bytes, report ID first when numbered. */
  getReport?(reportID: number, type: IOHIDReportType): Promise<Uint8Array>;
  /** HIDIOCSFEATURE and friends. */
  setReport?(reportID: number, type: IOHIDReportType, report: Uint8Array): Promise<void>;
  /** The kernel's hidraw or input node was opened (true) or closed (false) by its last user. */
  openChanged?(open: boolean): void;
  /** Something a handler threw, or the device went away; the device keeps serving. */
  error?(error: Error): void;
}

/**
 * A HID device made in the kernel from user space through /dev/uhid: the kernel binds a HID driver
 * (hid-generic makes a /dev/hidrawN and input nodes), input reports go in with {@link sendInput}, and
 * output, get-report and set-report requests come back to the handlers. The descriptor is read on a
 * threadpool thread that `poll`s it together with an eventfd, so {@link destroy} can always end it.
 */
export class UHIDDevice {
  /** Where the kernel's uhid device lives. */
  static path = '/dev/uhid';
  #fd: number;
  readonly #wake: number;
  readonly #handlers: UHIDDeviceHandlers;
  readonly #event = Buffer.alloc(EVENT_SIZE);
  #done: Promise<void>;
  #destroyed = false;
  #started = false;

  private constructor(fd: number, handlers: UHIDDeviceHandlers) {
    this.#fd = fd;
    this.#handlers = handlers;
    this.#wake = LinuxNative.eventfd();
    this.#done = this.#serve();
  }

  /**
   * Creates the device (UHID_CREATE2). Fails with kIOReturnUnsupported when the kernel offers no
   * /dev/uhid, kIOReturnNotPrivileged when this process may not open it, and kIOReturnBadArgument
   * for a descriptor the kernel would refuse.
   */
  static create(options: UHIDDeviceOptions, handlers: UHIDDeviceHandlers = {}): UHIDDevice {
    const d = options.reportDescriptor;
    if (d.length === 0 || d.length > HID_MAX_DESCRIPTOR_SIZE) {
      throw new IOReturnError(kIOReturnBadArgument, `a uhid device's report descriptor must be 1…${HID_MAX_DESCRIPTOR_SIZE} bytes; this one is ${d.length}`);
    }
    let fd: number;
    try {
      fd = openSync(UHIDDevice.path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO') {
        throw new IOReturnError(kIOReturnUnsupported, `this kernel offers no ${UHIDDevice.path} (no uhid module: \`modprobe uhid\` where the kernel has one), so a HID device cannot be published to the system here`, { cause: e });
      }
      if (code === 'EACCES' || code === 'EPERM') {
        throw new IOReturnError(kIOReturnNotPrivileged, `opening ${UHIDDevice.path} needs root or write access to it (${code})`, { cause: e });
      }
      throw new IOReturnError(kIOReturnIOError, `cannot open ${UHIDDevice.path}: ${(e as Error).message}`, { cause: e });
    }
    const ev = Buffer.alloc(EVENT_SIZE);
    ev.writeUInt32LE(UHID_CREATE2, 0);
    // name[128], phys[64], uniq[64]: NUL-terminated, so one byte shorter at most.
    ev.write(options.name, 4, 127, 'utf8');
    ev.write(options.phys ?? '', 4 + 128, 63, 'utf8');
    ev.write(options.uniq ?? '', 4 + 192, 63, 'utf8');
    let o = 4 + 256;
    ev.writeUInt16LE(d.length, o);
    ev.writeUInt16LE(options.bus ?? BUS_VIRTUAL, o + 2);
    ev.writeUInt32LE(options.vendor >>> 0, o + 4);
    ev.writeUInt32LE(options.product >>> 0, o + 8);
    ev.writeUInt32LE((options.version ?? 0) >>> 0, o + 12);
    ev.writeUInt32LE((options.country ?? 0) >>> 0, o + 16);
    o += 20;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(ev, o);
    try {
      writeSync(fd, ev);
    } catch (e) {
      closeSync(fd);
      throw new IOReturnError(kIOReturnBadArgument, `the kernel refused the uhid device "${options.name}": ${(e as Error).message}`, { cause: e });
    }
    return new UHIDDevice(fd, handlers);
  }

  /** True once the kernel has bound a HID driver to the device (UHID_START) and until it unbinds. */
  get started(): boolean {
    return this.#started;
  }

  /** Sends one input report (UHID_INPUT2), report ID first when the descriptor numbers reports. */
  sendInput(report: Uint8Array): void {
    if (this.#destroyed) throw new IOReturnError(kIOReturnNotOpen, 'the uhid device is destroyed');
    if (report.length > UHID_DATA_MAX) throw new IOReturnError(kIOReturnBadArgument, `an input report is at most ${UHID_DATA_MAX} bytes; this one is ${report.length}`);
    const ev = Buffer.alloc(6 + report.length);
    ev.writeUInt32LE(UHID_INPUT2, 0);
    ev.writeUInt16LE(report.length, 4);
    ev.set(report, 6);
    this.#write(ev);
  }

  /** Removes the device from the kernel (its hidraw node goes) and closes /dev/uhid. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return this.#done;
    this.#destroyed = true;
    const ev = Buffer.alloc(4);
    ev.writeUInt32LE(UHID_DESTROY, 0);
    try {
      writeSync(this.#fd, ev);
    } catch {
      // Closing /dev/uhid destroys the device as well.
    }
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    writeSync(this.#wake, one);
    await this.#done;
  }

  #write(ev: Buffer): void {
    // Short events are fine: uhid reads the type and only as many bytes as the request needs.
    writeSync(this.#fd, ev);
  }

  async #serve(): Promise<void> {
    try {
      while (!this.#destroyed) {
        const ready = await LinuxNative.pollReadable([this.#fd, this.#wake]);
        if (this.#destroyed || ready.includes(this.#wake)) break;
        this.#drain();
      }
    } catch (e) {
      this.#handlers.error?.(e as Error);
    } finally {
      closeSync(this.#fd);
      closeSync(this.#wake);
      this.#fd = -1;
    }
  }

  #drain(): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#event, 0, EVENT_SIZE, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return;
        throw e;
      }
      if (n < 4) return;
      this.#dispatch(this.#event);
    }
  }

  #dispatch(ev: Buffer): void {
    switch (ev.readUInt32LE(0)) {
      case UHID_START:
        this.#started = true;
        return;
      case UHID_STOP:
        this.#started = false;
        return;
      case UHID_OPEN:
      case UHID_CLOSE:
        this.#handlers.openChanged?.(ev.readUInt32LE(0) === UHID_OPEN);
        return;
      case UHID_OUTPUT: {
        // struct uhid_output_req { u8 data[4096]; u16 size; u8 rtype; }
        const size = Math.min(ev.readUInt16LE(4 + UHID_DATA_MAX), UHID_DATA_MAX);
        const type = RTYPES[ev[4 + UHID_DATA_MAX + 2]!] ?? 'output';
        this.#guard(() => this.#handlers.output?.(Uint8Array.from(ev.subarray(4, 4 + size)), type));
        return;
      }
      case UHID_GET_REPORT: {
        // struct uhid_get_report_req { u32 id; u8 rnum; u8 rtype; }
        const id = ev.readUInt32LE(4);
        const rnum = ev[8]!;
        const type = RTYPES[ev[9]!] ?? 'feature';
        void this.#answer(id, UHID_GET_REPORT_REPLY, async () => {
          if (!this.#handlers.getReport) throw new IOReturnError(kIOReturnUnsupported, `the device answers no ${type} report requests`);
          return this.#handlers.getReport(rnum, type);
        });
        return;
      }
      case UHID_SET_REPORT: {
        // struct uhid_set_report_req { u32 id; u8 rnum; u8 rtype; u16 size; u8 data[4096]; }
        const id = ev.readUInt32LE(4);
        const rnum = ev[8]!;
        const type = RTYPES[ev[9]!] ?? 'feature';
        const data = Uint8Array.from(ev.subarray(12, 12 + Math.min(ev.readUInt16LE(10), UHID_DATA_MAX)));
        void this.#answer(id, UHID_SET_REPORT_REPLY, async () => {
          if (!this.#handlers.setReport) throw new IOReturnError(kIOReturnUnsupported, `the device takes no ${type} reports`);
          await this.#handlers.setReport(rnum, type, data);
          return null;
        });
        return;
      }
      default:
        // UHID_OPEN/… of newer kernels that this code does not know: nothing to answer.
        return;
    }
  }

  /** Runs a request's handler and replies; the kernel waits (up to 5 s) for the reply, so one always goes. */
  async #answer(id: number, replyType: number, handler: () => Promise<Uint8Array | null>): Promise<void> {
    let data: Uint8Array | null = null;
    let err = 0;
    try {
      data = await handler();
      if (data && data.length > UHID_DATA_MAX) throw new IOReturnError(kIOReturnBadArgument, `a report is at most ${UHID_DATA_MAX} bytes; getReport returned ${data.length}`);
    } catch (e) {
      err = EIO;
      this.#handlers.error?.(e as Error);
    }
    if (this.#destroyed) return;
    if (replyType === UHID_SET_REPORT_REPLY) {
      // struct uhid_set_report_reply_req { u32 id; u16 err; }
      const ev = Buffer.alloc(4 + 6);
      ev.writeUInt32LE(replyType, 0);
      ev.writeUInt32LE(id, 4);
      ev.writeUInt16LE(err, 8);
      return this.#guard(() => this.#write(ev));
    }
    // struct uhid_get_report_reply_req { u32 id; u16 err; u16 size; u8 data[4096]; }
    const size = err ? 0 : (data?.length ?? 0);
    const ev = Buffer.alloc(4 + 8 + size);
    ev.writeUInt32LE(replyType, 0);
    ev.writeUInt32LE(id, 4);
    ev.writeUInt16LE(err, 8);
    ev.writeUInt16LE(size, 10);
    if (size) ev.set(data!, 12);
    this.#guard(() => this.#write(ev));
  }

  #guard(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.#handlers.error?.(e as Error);
    }
  }
}
