import { IOReturnError, IOService, IOUserServerRuntime, OSString, kIOReturnExclusiveAccess, kIOReturnIOError, kIOReturnNotOpen, type OSAction } from '@driverkit/driverkit';
import { SerialPort } from 'serialport';

/** How a driver opens an existing tty: serialport's open options. */
export interface IOSerialStreamOptions {
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  stopBits?: 1 | 1.5 | 2;
  parity?: 'none' | 'even' | 'odd' | 'mark' | 'space';
  rtscts?: boolean;
  xon?: boolean;
  xoff?: boolean;
}

/** The modem lines a tty reports (TIOCMGET). */
export interface IOSerialStreamModemStatus {
  cts: boolean;
  dsr: boolean;
  dcd: boolean;
}

const asError = (e: unknown) => (e instanceof Error ? e : new Error(String(e)));

/**
 * Mirrors `IOSerialStreamSync`, the provider a driver on an existing serial port matches: one per tty
 * the kernel already drives (/dev/ttyUSB*, /dev/ttyACM*, /dev/ttyS*, or a pty someone made), published
 * by this family's host plugin with what `SerialPort.list()` knows of it (`IOCalloutDevice`, idVendor,
 * idProduct, USB Serial Number, Manufacturer). A driver matches it with IOPropertyMatch on those keys.
 *
 * The driver talks to the port through `serialport` in its own process, in the DriverKit way: Open
 * with an OSAction that receives each chunk read (`DataAvailable(action, bytes)`, on the action's
 * queue, in order), and awaitable Write, Drain, Flush, SetModemLines and GetModemStatus.
 */
export class IOSerialStreamSync extends IOService {
  static readonly className: string = 'IOSerialStreamSync';
  #port: SerialPort | null = null;
  #client: IOService | null = null;

  /** The tty's path. */
  get path(): string {
    const v = this.getProperty('IOCalloutDevice');
    if (!(v instanceof OSString)) throw new IOReturnError(kIOReturnNotOpen, `${this.getName()} names no IOCalloutDevice`);
    return v.getCStringNoCopy();
  }

  /**
   * Opens the tty for `forClient` (one client at a time). Each read goes to `action` as
   * `(action, bytes)`; when the port goes away (unplugged, hung up) the action gets `(action, null)`.
   */
  async Open(forClient: IOService, options: IOSerialStreamOptions, action: OSAction | null): Promise<void> {
    if (this.#client) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.path} is open by ${this.#client.getName()}`);
    this.#client = forClient;
    try {
      this.#port = await new Promise<SerialPort>((resolve, reject) => {
        const port = new SerialPort({ path: this.path, ...options, lock: true }, (e) => (e ? reject(e) : resolve(port)));
      });
    } catch (e) {
      this.#client = null;
      throw new IOReturnError(kIOReturnIOError, `cannot open ${this.path}: ${asError(e).message}`, { cause: e });
    }
    const port = this.#port;
    action?.retain();
    port.on('data', (bytes: Buffer) => void action?.Invoke(new Uint8Array(bytes)));
    port.on('close', () => {
      if (this.#port === port) this.#port = null;
      void action?.Invoke(null).finally(() => action.release());
    });
    // serialport reports a read failure as an error and then closes: the close is what the driver hears.
    port.on('error', () => {});
  }

  /** Writes bytes; resolves once serialport has handed them to the kernel. */
  async Write(bytes: Uint8Array): Promise<number> {
    const port = this.#open();
    await new Promise<void>((resolve, reject) => port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), (e) => (e ? reject(ioError(this.path, 'write', e)) : resolve())));
    return bytes.length;
  }

  /** Waits until the kernel has sent everything written (tcdrain). */
  async Drain(): Promise<void> {
    const port = this.#open();
    await new Promise<void>((resolve, reject) => port.drain((e) => (e ? reject(ioError(this.path, 'drain', e)) : resolve())));
  }

  /** Discards what is queued both ways (tcflush). */
  async Flush(): Promise<void> {
    const port = this.#open();
    await new Promise<void>((resolve, reject) => port.flush((e) => (e ? reject(ioError(this.path, 'flush', e)) : resolve())));
  }

  /** Changes the baud rate of the open port (all serialport can change without reopening). */
  async SetBaudRate(baudRate: number): Promise<void> {
    const port = this.#open();
    await new Promise<void>((resolve, reject) => port.update({ baudRate }, (e) => (e ? reject(ioError(this.path, 'set the baud rate', e)) : resolve())));
  }

  /** Sets DTR, RTS and break (TIOCMSET, TIOCSBRK); lines left out keep their state. */
  async SetModemLines(lines: { dtr?: boolean; rts?: boolean; brk?: boolean }): Promise<void> {
    const port = this.#open();
    await new Promise<void>((resolve, reject) => port.set(lines, (e) => (e ? reject(ioError(this.path, 'set the modem lines', e)) : resolve())));
  }

  /** Reads CTS, DSR and DCD (TIOCMGET). */
  async GetModemStatus(): Promise<IOSerialStreamModemStatus> {
    const port = this.#open();
    return new Promise((resolve, reject) => port.get((e, s) => (e || !s ? reject(ioError(this.path, 'read the modem lines', e ?? new Error('no status'))) : resolve({ cts: s.cts, dsr: s.dsr, dcd: s.dcd }))));
  }

  /** Closes the port for `forClient`. */
  async Close(forClient: IOService): Promise<void> {
    if (this.#client !== forClient) return;
    this.#client = null;
    const port = this.#port;
    this.#port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  #open(): SerialPort {
    if (!this.#port?.isOpen) throw new IOReturnError(kIOReturnNotOpen, `${this.getName()} (${this.path}) is not open`);
    return this.#port;
  }
}

function ioError(path: string, what: string, e: Error): IOReturnError {
  return new IOReturnError(kIOReturnIOError, `cannot ${what} on ${path}: ${e.message}`, { cause: e });
}

IOUserServerRuntime.registerProviderClass('IOSerialStreamSync', IOSerialStreamSync);
