import { lstatSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  IOBufferMemoryDescriptor,
  IOReturnError,
  IOService,
  OSString,
  kIOMemoryDirectionInOut,
  kIOReturnBadArgument,
  kIOReturnExclusiveAccess,
  kIOReturnNotReady,
} from '@driverkit/driverkit';
import { PseudoTerminal } from './kernel/PseudoTerminal';
import type { SerialLineSettings } from './kernel/Termios';
import { IOUserSerialUserClient } from './IOUserSerialUserClient';
import {
  kIOCalloutDeviceKey,
  kIODialinDeviceKey,
  kIOSerialDefaultQueueLogSize,
  kIOSerialPTYPathKey,
  kIOTTYBaseNameKey,
  kIOTTYDeviceKey,
  kIOTTYSuffixKey,
} from './SerialDriverKitConstants';
import { SerialPortInterface, kSerialPortInterfaceSize } from './SerialPortInterface';
import { SerialQueue } from './queue/SerialQueue';

/** The memory ConnectQueues hands back: the shared interface and the two rings. */
export interface IOSerialQueues {
  ifmd: IOBufferMemoryDescriptor;
  rxqmd: IOBufferMemoryDescriptor;
  txqmd: IOBufferMemoryDescriptor;
}

/** Modem status lines, as HwGetModemStatus reports and SetModemStatus sets them. */
export interface IOSerialModemStatus {
  cts: boolean;
  dsr: boolean;
  ri: boolean;
  dcd: boolean;
}

/** Where published ports' stable names are made (`cu.<base><suffix>`, `tty.<base><suffix>`). */
export function serialLinkDirectory(): string {
  return process.env.DRIVERKIT_TTY_DIR ?? '/run/driverkit/tty';
}

/**
 * Mirrors `IOUserSerial`: the hardware half of a UART, which the system turns into a tty. Here the
 * system half is a pseudo-terminal: Start publishes its slave (`IOTTYDevice`, `IOCalloutDevice`, …
 * in the registry, and a stable symlink named from the personality's `IOTTYBaseName` and
 * `IOTTYSuffix`) for any serial program to open. What applications write arrives in the TX ring
 * (`TxDataAvailable`); what the driver puts in the RX ring (`RxDataAvailable`) reaches them; their
 * line settings reach `HwProgramUART` / `HwProgramBaudRate` / `HwProgramFlowControl`, and their
 * flushes `HwResetFIFO`. Modem lines and breaks, which a pseudo-terminal cannot carry, reach
 * `HwProgramMCR`, `HwSendBreak` and `HwGetModemStatus` through the port's user client
 * (`@driverkit/serialdriverkit/client`), as ioctls do on macOS.
 *
 * As on macOS, an application's open of the port raises DTR and RTS (`HwProgramMCR(true, true)`), and
 * the last close drops them and calls `HwDeactivate`; the next open calls `HwActivate` and programs the
 * UART again. Start activates the hardware once, so a port whose hardware will not come up is not published.
 *
 * Subclasses override the Hw* hooks and `TxDataAvailable`, and produce received bytes with
 * {@link enqueueRxData} (or the rings ConnectQueues returned, and `RxDataAvailable`).
 */
export class IOUserSerial extends IOService {
  static readonly className: string = 'IOUserSerial';
  #pty: PseudoTerminal | null = null;
  #queues: IOSerialQueues | null = null;
  #spi: SerialPortInterface | null = null;
  /** The interface memory initWith gave, which ConnectQueues lays the indices in instead of a new buffer. */
  #ifmd: IOBufferMemoryDescriptor | null = null;
  #tx: SerialQueue | null = null;
  #rx: SerialQueue | null = null;
  /** Bytes the application wrote that the TX ring had no room for yet (the pty is paused meanwhile). */
  #txPending: Uint8Array | null = null;
  /** Bytes taken from the RX ring that the pty has not accepted yet. */
  #rxPending: Uint8Array | null = null;
  #rxDraining = false;
  #rxAgain = false;
  #links: string[] = [];
  #ptyPath = '';
  #modem: IOSerialModemStatus = { cts: false, dsr: false, ri: false, dcd: false };
  #hw: Promise<unknown> = Promise.resolve();
  #stopping = false;
  /** Whether HwActivate ran last (and HwDeactivate not since). */
  #active = false;
  /** Whether an application has the port open. */
  #open = false;
  readonly #rxErrors = { overrun: 0, break: 0, framing: 0, parity: 0 };
  /** The line as last programmed. */
  #settings: SerialLineSettings | null = null;
  /**
   * Data bits and parity an app set through the user client: a pty's termios always says 8 and none
   * (Linux forces them), so once set these win over what tcsetattr reports.
   */
  #dataFormat: { dataBits: number; parity: number } | null = null;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const queues = await this.ConnectQueues(null, null, 0, 0, kIOSerialDefaultQueueLogSize, kIOSerialDefaultQueueLogSize);
    if (!this.#spi) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.ConnectQueues did not call IOUserSerial's ConnectQueues`);
    this.#queues = queues;
    this.#pty = PseudoTerminal.open({
      data: (bytes) => this.#fromApplication(bytes),
      lineSettings: (s) => void this.#hwCall(() => this.#program(s)),
      flush: (tx, rx) => this.#resetFIFO(tx, rx),
      error: (e) => this.#log(`the pseudo-terminal failed: ${e.message}`),
      users: (n) => void this.#hwCall(() => this.#usersChanged(n)),
    });
    try {
      // A port whose hardware will not come up is not published: these failures fail Start. The
      // modem lines stay down until an application opens the port, as on macOS.
      await this.hardware(() => this.HwActivate());
      this.#active = true;
      await this.hardware(() => this.#program(this.#pty!.lineSettings));
      this.#publish();
    } catch (e) {
      this.#pty.close();
      this.#pty = null;
      this.#unlink();
      await this.DisconnectQueues();
      throw e;
    }
    this.RegisterService();
  }

  // MARK: Queues

  /**
   * Mirrors `bool IOUserSerial::initWith(IOBufferMemoryDescriptor *ifmd)`: initialises the port on
   * interface memory the caller owns (a SerialPortInterface a user of the rings can map), which the
   * next ConnectQueues fills instead of making its own. False, as Apple's, for memory that cannot
   * hold the interface or once the queues are connected.
   */
  initWith(ifmd: IOBufferMemoryDescriptor | null): boolean {
    if (!ifmd || this.#spi || ifmd.GetBytes().length < kSerialPortInterfaceSize) return false;
    this.#ifmd?.release();
    this.#ifmd = ifmd.retain();
    return true;
  }

  /**
   * Mirrors `ConnectQueues(ifmd, rxqmd, txqmd, in_rxqmd, in_txqmd, in_rxqoffset, in_txqoffset,
   * in_rxqlogsz, in_txqlogsz)`: sets up the shared interface and the two rings, using the driver's
   * buffers when it passes them (a subclass override does, then calls this), else 2^logsz-byte ones.
   */
  async ConnectQueues(
    in_rxqmd: IOBufferMemoryDescriptor | null,
    in_txqmd: IOBufferMemoryDescriptor | null,
    in_rxqoffset: number,
    in_txqoffset: number,
    in_rxqlogsz: number,
    in_txqlogsz: number,
  ): Promise<IOSerialQueues> {
    if (this.#spi) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()}: ConnectQueues called twice`);
    for (const [what, logsz] of [['rx', in_rxqlogsz], ['tx', in_txqlogsz]] as const) {
      if (!Number.isInteger(logsz) || logsz < 4 || logsz > 24) throw new IOReturnError(kIOReturnBadArgument, `ConnectQueues: ${what} ring log2 size ${logsz} is outside 4…24`);
    }
    for (const [what, md, offset, logsz] of [['rx', in_rxqmd, in_rxqoffset, in_rxqlogsz], ['tx', in_txqmd, in_txqoffset, in_txqlogsz]] as const) {
      const room = md ? md.GetBytes().length : 2 ** logsz;
      if (!Number.isInteger(offset) || offset < 0 || offset + 2 ** logsz > room) throw new IOReturnError(kIOReturnBadArgument, `ConnectQueues: the ${what} ring (${2 ** logsz} bytes at ${offset}) does not fit its ${room}-byte buffer`);
    }
    // The driver's own buffers are retained: DisconnectQueues releases what the queues hold.
    const ring = (md: IOBufferMemoryDescriptor | null, logsz: number) => (md ? md.retain() : IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 2 ** logsz));
    const rxqmd = ring(in_rxqmd, in_rxqlogsz);
    const txqmd = ring(in_txqmd, in_txqlogsz);
    const ifmd = this.#ifmd ?? IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, kSerialPortInterfaceSize);
    this.#ifmd = null;
    const spi = new SerialPortInterface(ifmd.GetBytes());
    Object.assign(spi, { rxPI: 0, rxCI: 0, txPI: 0, txCI: 0, rxqoffset: in_rxqoffset, txqoffset: in_txqoffset, rxqlogsz: in_rxqlogsz, txqlogsz: in_txqlogsz });
    this.#spi = spi;
    this.#rx = new SerialQueue('rx', rxqmd.GetBytes().subarray(in_rxqoffset, in_rxqoffset + 2 ** in_rxqlogsz), spi);
    this.#tx = new SerialQueue('tx', txqmd.GetBytes().subarray(in_txqoffset, in_txqoffset + 2 ** in_txqlogsz), spi);
    return { ifmd, rxqmd, txqmd };
  }

  override free(): void {
    this.#ifmd?.release();
    this.#ifmd = null;
    super.free();
  }

  /** Mirrors `DisconnectQueues`: the rings go; nothing more moves. */
  async DisconnectQueues(): Promise<void> {
    this.#spi = null;
    this.#tx = this.#rx = null;
    this.#txPending = this.#rxPending = null;
    if (this.#queues) for (const md of Object.values(this.#queues)) md.release();
    this.#queues = null;
  }

  /** The shared interface (indices of both rings), once the queues are connected. */
  get serialPortInterface(): SerialPortInterface | null {
    return this.#spi;
  }

  // MARK: Data, system → driver

  /**
   * Mirrors `TxDataAvailable`: the TX ring holds bytes an application wrote. The default does
   * nothing; a driver sends them to its hardware (see {@link dequeueTxData}).
   */
  async TxDataAvailable(): Promise<void> {}

  /**
   * Takes up to `max` bytes out of the TX ring, and tells the system there is room again
   * (`TxFreeSpaceAvailable`), as a driver does after sending them.
   */
  dequeueTxData(max = Infinity): Uint8Array {
    if (!this.#tx) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}: the queues are not connected`);
    const bytes = this.#tx.consume(max);
    if (bytes.length) this.TxFreeSpaceAvailable();
    return bytes;
  }

  /** Mirrors `TxFreeSpaceAvailable`: the driver consumed TX bytes; the system may put more in. */
  TxFreeSpaceAvailable(): void {
    const pending = this.#txPending;
    if (!pending || !this.#tx) return;
    const n = this.#tx.produce(pending);
    this.#txPending = n < pending.length ? pending.subarray(n) : null;
    if (!this.#txPending) this.#pty?.resume();
    if (n) void this.#hwCall(() => this.TxDataAvailable());
  }

  // MARK: Data, driver → system

  /**
   * Puts received bytes in the RX ring and tells the system (`RxDataAvailable`); returns how many
   * fitted. When fewer than given, wait for `RxFreeSpaceAvailable` before offering the rest.
   */
  enqueueRxData(bytes: Uint8Array): number {
    if (!this.#rx) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}: the queues are not connected`);
    const n = this.#rx.produce(bytes);
    if (n) this.RxDataAvailable();
    return n;
  }

  /** Mirrors `RxDataAvailable`: the driver put bytes in the RX ring; they go to the application. */
  RxDataAvailable(): void {
    if (this.#rxDraining) {
      // The drain may be finishing: have it look again rather than strand these bytes.
      this.#rxAgain = true;
      return;
    }
    this.#rxDraining = true;
    // Drained from a microtask, never inside the caller: a driver that calls RxDataAvailable (or
    // enqueueRxData) and then records what did not fit must hear RxFreeSpaceAvailable afterwards.
    void Promise.resolve()
      .then(() => this.#drainRx())
      .finally(() => {
        this.#rxDraining = false;
        if (this.#rxAgain) {
          this.#rxAgain = false;
          this.RxDataAvailable();
        }
      });
  }

  /** Mirrors `RxFreeSpaceAvailable`: the system emptied RX ring space. The default does nothing. */
  RxFreeSpaceAvailable(): void {}

  /**
   * Mirrors `RxError(overrun, gotBreak, framingError, parityError)`: errors the hardware saw while
   * receiving. A pseudo-terminal cannot mark them in the byte stream, so they are counted in the
   * registry (`IOSerialRxErrors`).
   */
  RxError(overrun: boolean, gotBreak: boolean, framingError: boolean, parityError: boolean): void {
    const counts = this.#rxErrors;
    if (overrun) counts.overrun++;
    if (gotBreak) counts.break++;
    if (framingError) counts.framing++;
    if (parityError) counts.parity++;
    this.setProperty('IOSerialRxErrors', { ...counts });
  }

  /** Mirrors `SetModemStatus(cts, dsr, ri, dcd)`: the modem lines the hardware sees. */
  SetModemStatus(cts: boolean, dsr: boolean, ri: boolean, dcd: boolean): void {
    this.#modem = { cts, dsr, ri, dcd };
  }

  // MARK: Hardware hooks (the defaults accept everything: a subclass programs its hardware)

  /** Mirrors `HwActivate`: the port is going into use; power the hardware up. */
  async HwActivate(): Promise<void> {}
  /** Mirrors `HwDeactivate`: the port is going out of use. */
  async HwDeactivate(): Promise<void> {}
  /** Mirrors `HwResetFIFO(tx, rx)`: discard the hardware's queued bytes (the rings are already empty). */
  async HwResetFIFO(_tx: boolean, _rx: boolean): Promise<void> {}
  /** Mirrors `HwSendBreak(sendBreak)`: start or end a break. */
  async HwSendBreak(_sendBreak: boolean): Promise<void> {}
  /** Mirrors `HwProgramUART(baudRate, nDataBits, nHalfStopBits, parity)`. */
  async HwProgramUART(_baudRate: number, _nDataBits: number, _nHalfStopBits: number, _parity: number): Promise<void> {}
  /** Mirrors `HwProgramBaudRate(baudRate)`: only the rate changed. */
  async HwProgramBaudRate(_baudRate: number): Promise<void> {}
  /** Mirrors `HwProgramMCR(dtr, rts)`: the modem control lines. */
  async HwProgramMCR(_dtr: boolean, _rts: boolean): Promise<void> {}
  /** Mirrors `HwGetModemStatus(&cts, &dsr, &ri, &dcd)`: the default reports what SetModemStatus last set. */
  async HwGetModemStatus(): Promise<IOSerialModemStatus> {
    return { ...this.#modem };
  }
  /** Mirrors `HwProgramLatencyTimer(latency)`. */
  async HwProgramLatencyTimer(_latency: number): Promise<void> {}
  /** Mirrors `HwProgramFlowControl(arg, xon, xoff)`: `arg` holds PD_RS232_A_* bits. */
  async HwProgramFlowControl(_arg: number, _xon: number, _xoff: number): Promise<void> {}

  /** Runs a hardware hook after the ones before it, in order, as Apple's port queue does; failures are logged. */
  #hwCall<T>(f: () => Promise<T> | T): Promise<T | undefined> {
    return this.hardware(f).catch((e: unknown) => {
      this.#log(e instanceof Error ? e.message : String(e));
      return undefined;
    });
  }

  /** @internal A hook in order with the rest, its failure the caller's (the user client's way in). */
  hardware<T>(f: () => Promise<T> | T): Promise<T> {
    const next = this.#hw.then(f);
    this.#hw = next.catch(() => undefined);
    return next;
  }

  /** @internal The user client's SetDataFormat: reprograms the UART with these, in order with the other hooks. */
  async setDataFormat(dataBits: number, parity: number): Promise<void> {
    await this.hardware(async () => {
      this.#dataFormat = { dataBits, parity };
      await this.#program(this.#pty?.lineSettings ?? this.#settings!);
    });
  }

  async #program(reported: SerialLineSettings): Promise<void> {
    const s = this.#dataFormat ? { ...reported, ...this.#dataFormat } : reported;
    const before = this.#settings;
    this.#settings = s;
    if (before && before.dataBits === s.dataBits && before.halfStopBits === s.halfStopBits && before.parity === s.parity) {
      if (before.baudRate !== s.baudRate) await this.HwProgramBaudRate(s.baudRate);
    } else {
      await this.HwProgramUART(s.baudRate, s.dataBits, s.halfStopBits, s.parity);
    }
    if (!before || before.flowControl !== s.flowControl || before.xon !== s.xon || before.xoff !== s.xoff) await this.HwProgramFlowControl(s.flowControl, s.xon, s.xoff);
    this.setProperty('IOSerialLineSettings', { ...s });
  }

  /**
   * An application opened the port (the first holder) or closed it (the last): as macOS does at a
   * tty's open and close, the hardware is activated and DTR/RTS raised, or DTR/RTS dropped (HUPCL) and
   * the hardware deactivated.
   */
  async #usersChanged(users: number): Promise<void> {
    if (this.#stopping) return;
    if (users > 0 && !this.#open) {
      this.#open = true;
      if (!this.#active) {
        const line = this.#pty?.lineSettings ?? this.#settings!;
        await this.HwActivate();
        this.#active = true;
        // The hardware was off: program it whole, not only what changed.
        this.#settings = null;
        await this.#program(line);
      }
      await this.HwProgramMCR(true, true);
    } else if (users === 0 && this.#open) {
      this.#open = false;
      await this.HwProgramMCR(false, false);
      this.#active = false;
      await this.HwDeactivate();
    }
  }

  /**
   * A tcflush. The rings are emptied at once, in the order the master's stream reports it: an
   * application flushes before it writes (serialport does at every open), and its next bytes must
   * not be wiped by a reset that waited behind the hardware chain (an open's HwActivate, say). Only
   * the driver's `HwResetFIFO` waits its turn on the chain.
   */
  #resetFIFO(tx: boolean, rx: boolean): void {
    if (tx) {
      this.#tx?.reset();
      this.#txPending = null;
      this.#pty?.resume();
    }
    if (rx) {
      this.#rx?.reset();
      this.#rxPending = null;
    }
    void this.#hwCall(() => this.HwResetFIFO(tx, rx));
  }

  #fromApplication(bytes: Buffer): void {
    if (!this.#tx) return;
    if (this.#txPending) {
      // Still waiting for room: keep order, and stop reading until the driver catches up.
      this.#txPending = concat(this.#txPending, bytes);
      this.#pty?.pause();
      return;
    }
    const n = this.#tx.produce(bytes);
    if (n < bytes.length) {
      this.#txPending = Uint8Array.from(bytes.subarray(n));
      this.#pty?.pause();
    }
    if (n) void this.#hwCall(() => this.TxDataAvailable());
  }

  async #drainRx(): Promise<void> {
    while (this.#pty && this.#rx && !this.#stopping) {
      if (!this.#rxPending) {
        if (this.#rx.used() === 0) return;
        this.#rxPending = this.#rx.consume();
        this.RxFreeSpaceAvailable();
      }
      const n = this.#pty.write(this.#rxPending);
      this.#rxPending = n < this.#rxPending.length ? this.#rxPending.subarray(n) : null;
      if (this.#rxPending) await this.#pty.whenWritable();
    }
  }

  #publish(): void {
    const pty = this.#pty!;
    this.#ptyPath = pty.path;
    const base = this.#stringProperty(kIOTTYBaseNameKey) ?? 'serial';
    const suffix = this.#stringProperty(kIOTTYSuffixKey) ?? this.GetRegistryEntryID().toString(16);
    const device = `${base}${suffix}`;
    const dir = serialLinkDirectory();
    mkdirSync(dir, { recursive: true });
    const link = (name: string) => {
      const path = join(dir, name);
      try {
        if (!lstatSync(path).isSymbolicLink()) throw new IOReturnError(kIOReturnExclusiveAccess, `${path} exists and is not a symlink: cannot name the port there`);
        // A link left by a driver that died points at a pty that is gone or reused: ours now.
        unlinkSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      symlinkSync(this.#ptyPath, path);
      this.#links.push(path);
      return path;
    };
    this.setProperty(kIOTTYBaseNameKey, base);
    this.setProperty(kIOTTYSuffixKey, suffix);
    this.setProperty(kIOTTYDeviceKey, device);
    this.setProperty(kIOCalloutDeviceKey, link(`cu.${device}`));
    this.setProperty(kIODialinDeviceKey, link(`tty.${device}`));
    this.setProperty(kIOSerialPTYPathKey, pty.path);
  }

  #unlink(): void {
    for (const path of this.#links.splice(0)) {
      try {
        // Only our own link: a restarted driver may already have put its own there.
        if (readlinkSync(path) === this.#ptyPath) unlinkSync(path);
      } catch {
        // Already gone.
      }
    }
  }

  #stringProperty(key: string): string | undefined {
    const v = this.getProperty(key);
    return v instanceof OSString ? v.getCStringNoCopy() : undefined;
  }

  #log(message: string): void {
    process.stderr.write(`${this.getName()}: ${message}\n`);
  }

  override async NewUserClient(_type: number): Promise<IOService> {
    const client = new IOUserSerialUserClient(this);
    client.setName('IOUserSerialUserClient');
    await client.startWithProvider(this, null);
    return client;
  }

  override async Stop(provider: IOService): Promise<void> {
    this.#stopping = true;
    const pty = this.#pty;
    // Applications see a hang-up; nothing they do can block the stop.
    pty?.close();
    this.#unlink();
    this.#pty = null;
    await this.#hwCall(async () => {
      if (this.#open) await this.HwProgramMCR(false, false);
      if (this.#active) await this.HwDeactivate();
      this.#open = this.#active = false;
    });
    await this.DisconnectQueues();
    await super.Stop(provider);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
