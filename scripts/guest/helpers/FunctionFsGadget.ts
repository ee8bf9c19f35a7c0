// Inside the guest: a USB gadget whose function is served from user space through FunctionFS, so a
// device model written in TypeScript (the same kind the virtual USB host runs in-process) becomes a
// real USB device the guest's kernel enumerates and libusb talks to.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, read, write, writeSync } from 'node:fs';
import { UsbGadget } from './UsbGadget';

/** A control request as USB defines it (the 8-byte setup packet). */
export interface UsbSetup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** One vendor-specific interface's endpoints (at most one bulk OUT and one bulk IN here). */
export interface FunctionFsEndpoint {
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt';
  /** Interrupt endpoints only: the polling interval (frames / microframes exponent). */
  interval?: number;
}

/**
 * A device model a FunctionFS gadget serves: its interface's shape, its control requests (return the
 * data for an IN request, or null to stall; OUT requests get their data), and data arriving on OUT
 * endpoints. It answers with {@link FunctionFsGadget.send}.
 */
export interface FunctionFsDeviceModel {
  interfaceClass: number;
  interfaceSubClass: number;
  interfaceProtocol: number;
  interfaceName: string;
  endpoints: FunctionFsEndpoint[];
  control?(setup: UsbSetup, data: Buffer | null): Buffer | null | void;
  received?(endpointIndex: number, data: Buffer, gadget: FunctionFsGadget): void;
}

const DESCRIPTORS_MAGIC_V2 = 3;
const STRINGS_MAGIC = 2;
const HAS_FS_DESC = 1;
const HAS_HS_DESC = 2;
const EVENT_SIZE = 12;
const EVENT_ENABLE = 2;
const EVENT_DISABLE = 3;
const EVENT_SETUP = 4;
const EVENT_UNBIND = 1;

function descriptors(model: FunctionFsDeviceModel, highSpeed: boolean): Buffer[] {
  const list = [Buffer.from([9, 4, 0, 0, model.endpoints.length, model.interfaceClass, model.interfaceSubClass, model.interfaceProtocol, 1])];
  model.endpoints.forEach((e, i) => {
    const size = e.type === 'bulk' ? (highSpeed ? 512 : 64) : 64;
    const b = Buffer.from([7, 5, (i + 1) | (e.direction === 'in' ? 0x80 : 0), e.type === 'bulk' ? 2 : 3, 0, 0, e.type === 'interrupt' ? (e.interval ?? (highSpeed ? 4 : 1)) : 0]);
    b.writeUInt16LE(size, 4);
    list.push(b);
  });
  return list;
}

/** A FunctionFS gadget serving one {@link FunctionFsDeviceModel}; bound once its descriptors are in. */
export class FunctionFsGadget {
  readonly #gadget: UsbGadget;
  readonly #mount: string;
  readonly #ep0: number;
  readonly #model: FunctionFsDeviceModel;
  readonly #eps: number[] = [];
  #closed = false;
  #enabled = false;

  private constructor(gadget: UsbGadget, mount: string, ep0: number, model: FunctionFsDeviceModel) {
    this.#gadget = gadget;
    this.#mount = mount;
    this.#ep0 = ep0;
    this.#model = model;
  }

  static create(options: { name: string; idVendor: number; idProduct: number; product?: string; model: FunctionFsDeviceModel }): FunctionFsGadget {
    const instance = options.name.replace(/[^a-z0-9]/gi, '');
    const gadget = UsbGadget.create({ name: options.name, idVendor: options.idVendor, idProduct: options.idProduct, product: options.product, functions: [{ name: `ffs.${instance}` }], bind: false });
    const mount = `/dev/ffs-${instance}`;
    mkdirSync(mount, { recursive: true });
    execFileSync('mount', ['-t', 'functionfs', instance, mount]);
    const ep0 = openSync(`${mount}/ep0`, 'r+');
    const fs = descriptors(options.model, false);
    const hs = descriptors(options.model, true);
    const body = Buffer.concat([...fs, ...hs]);
    const head = Buffer.alloc(20);
    head.writeUInt32LE(DESCRIPTORS_MAGIC_V2, 0);
    head.writeUInt32LE(20 + body.length, 4);
    head.writeUInt32LE(HAS_FS_DESC | HAS_HS_DESC, 8);
    head.writeUInt32LE(fs.length, 12);
    head.writeUInt32LE(hs.length, 16);
    writeSync(ep0, Buffer.concat([head, body]));
    const name = Buffer.from(`${options.model.interfaceName}\0`, 'utf8');
    const strings = Buffer.alloc(16 + 2 + name.length);
    strings.writeUInt32LE(STRINGS_MAGIC, 0);
    strings.writeUInt32LE(strings.length, 4);
    strings.writeUInt32LE(1, 8); // one string
    strings.writeUInt32LE(1, 12); // one language
    strings.writeUInt16LE(0x0409, 16);
    name.copy(strings, 18);
    writeSync(ep0, strings);
    const g = new FunctionFsGadget(gadget, mount, ep0, options.model);
    // Bind before reading events: a blocking read on ep0 cannot be abandoned if binding fails (the
    // kernel keeps the events for the first read).
    try {
      gadget.bind();
    } catch (e) {
      g.remove();
      throw e;
    }
    g.#events();
    return g;
  }

  /** Sends data on the model's `endpointIndex` (an IN endpoint); resolves once the host has taken it. */
  send(endpointIndex: number, data: Buffer): Promise<void> {
    const fd = this.#eps[endpointIndex];
    if (fd === undefined) return Promise.reject(new Error(`endpoint ${endpointIndex} is not enabled`));
    return new Promise((resolve, reject) => write(fd, data, (e) => (e ? reject(e) : resolve())));
  }

  // ep0 carries events and, for a control request, its data stage: one read or write at a time, so a
  // request is fully answered before the next event read (a read pending during an IN request would
  // stall it; one pending during an OUT request would swallow its data).
  #events(): void {
    const buf = Buffer.alloc(EVENT_SIZE * 4);
    read(this.#ep0, buf, 0, buf.length, null, async (err, n) => {
      if (this.#closed || err) return;
      for (let o = 0; o + EVENT_SIZE <= n; o += EVENT_SIZE) await this.#event(buf.subarray(o, o + EVENT_SIZE));
      if (!this.#closed) this.#events();
    });
  }

  async #event(ev: Buffer): Promise<void> {
    const type = ev[8];
    if (type === EVENT_ENABLE && !this.#enabled) {
      this.#enabled = true;
      this.#model.endpoints.forEach((e, i) => {
        const fd = openSync(`${this.#mount}/ep${i + 1}`, 'r+');
        this.#eps[i] = fd;
        if (e.direction === 'out') this.#receive(i, fd);
      });
    } else if (type === EVENT_DISABLE || type === EVENT_UNBIND) {
      this.#enabled = false;
    } else if (type === EVENT_SETUP) {
      const setup: UsbSetup = { bmRequestType: ev[0]!, bRequest: ev[1]!, wValue: ev.readUInt16LE(2), wIndex: ev.readUInt16LE(4), wLength: ev.readUInt16LE(6) };
      await this.#setup(setup);
    }
  }

  // IN requests are answered by writing ep0, OUT data is read from it; I/O in the other direction
  // makes FunctionFS stall the request, which is how a model refuses one.
  #setup(setup: UsbSetup): Promise<void> {
    const io = (fn: (done: () => void) => void) => new Promise<void>((resolve) => fn(resolve));
    if (setup.bmRequestType & 0x80) {
      const answer = this.#model.control?.(setup, null);
      if (Buffer.isBuffer(answer)) return io((done) => write(this.#ep0, answer.subarray(0, setup.wLength), () => done()));
      // A zero-length read never reaches the kernel (Node answers it itself): read one byte.
      return io((done) => read(this.#ep0, Buffer.alloc(1), 0, 1, null, () => done()));
    }
    const data = Buffer.alloc(setup.wLength);
    return io((done) =>
      read(this.#ep0, data, 0, data.length, null, (err) => {
        if (!err) this.#model.control?.(setup, data);
        done();
      }),
    );
  }

  #receive(index: number, fd: number): void {
    const buf = Buffer.alloc(4096);
    read(fd, buf, 0, buf.length, null, (err, n) => {
      if (err || this.#closed) return;
      this.#model.received?.(index, Buffer.from(buf.subarray(0, n)), this);
      this.#receive(index, fd);
    });
  }

  /** Unbinds, closes the endpoints, unmounts FunctionFS and removes the gadget. */
  remove(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gadget.unbind();
    for (const fd of this.#eps) if (fd !== undefined) closeSync(fd);
    closeSync(this.#ep0);
    execFileSync('umount', [this.#mount]);
    this.#gadget.remove();
  }
}
