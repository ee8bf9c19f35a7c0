import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { IOReturnError, LinuxNative, kIOReturnNotOpen } from '@driverkit/driverkit';
import { TCGETS2, TCSETS2, TERMIOS2_SIZE, TIOCPKT, lineSettingsOf, makeRaw, setExtproc, type SerialLineSettings } from './Termios';

// The status byte packet mode puts before each read from the master (linux/tty.h TIOCPKT_*).
const TIOCPKT_DATA = 0;
const TIOCPKT_FLUSHREAD = 1;
const TIOCPKT_FLUSHWRITE = 2;
const TIOCPKT_IOCTL = 64;
/** How often line settings are checked when no data or IOCTL packet has prompted a check. */
const kSettingsCheckMs = 100;

/** What a pseudo-terminal tells its owner. */
export interface PseudoTerminalHandlers {
  /** Bytes an application wrote to the slave. */
  data(bytes: Buffer): void;
  /** The application changed the line settings (tcsetattr): the new ones. */
  lineSettings(settings: SerialLineSettings): void;
  /** The application flushed (tcflush): its output (`tx`) and/or its unread input (`rx`). */
  flush(tx: boolean, rx: boolean): void;
  /** Reading the master failed; the terminal is closed. */
  error(error: Error): void;
  /** How many times applications hold the slave open changed (0 → 1: the port opened; → 0: closed). */
  users?(count: number): void;
}

/**
 * A pseudo-terminal whose slave (/dev/pts/N) applications open as a serial port, and whose master
 * this process serves. Packet mode (TIOCPKT) tells data apart from flushes. Line settings are read
 * (TCGETS2 on the master reads the slave's) when an IOCTL packet reports a tcsetattr (EXTPROC, set at
 * creation, makes the kernel report them until an application clears it), before each chunk of data,
 * and every 100 ms. The slave is also held open here, so an application closing it does not hang the
 * master up between users; applications' opens and closes are counted through inotify instead
 * (`users`), which is how the port knows it was opened or closed.
 *
 * What a pseudo-terminal cannot carry: modem lines and breaks. Linux's pty driver has no tiocmset or
 * break_ctl, so TIOCMSET, TIOCMGET and TIOCSBRK fail with ENOTTY (and tcsendbreak does nothing).
 */
export class PseudoTerminal {
  readonly path: string;
  readonly #master: number;
  readonly #slave: number;
  readonly #stream: ReadStream;
  readonly #handlers: PseudoTerminalHandlers;
  readonly #termios = new Uint8Array(TERMIOS2_SIZE);
  /** The termios the settings were last decoded from: most checks find it unchanged and stop there. */
  readonly #seen = new Uint8Array(TERMIOS2_SIZE);
  #settings: SerialLineSettings;
  #closed = false;
  readonly #watch: NodeJS.Timeout;
  /** inotify on the slave: opens and closes by applications (this object's own open came first). */
  readonly #opens: number;
  readonly #wake: number;
  #users = 0;

  private constructor(master: number, path: string, handlers: PseudoTerminalHandlers) {
    this.#master = master;
    this.path = path;
    this.#handlers = handlers;
    const one = new Uint8Array(4);
    new DataView(one.buffer).setInt32(0, 1, true);
    LinuxNative.ioctl(master, TIOCPKT, one);
    // TCGETS2 and TCSETS2 on the master read and write the slave's termios.
    LinuxNative.ioctl(master, TCGETS2, this.#termios);
    makeRaw(this.#termios);
    setExtproc(this.#termios, true);
    LinuxNative.ioctl(master, TCSETS2, this.#termios);
    this.#settings = lineSettingsOf(this.#termios);
    this.#seen.set(this.#termios);
    this.#slave = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    this.#opens = LinuxNative.inotifyWatch(path, LinuxNative.IN_OPEN | LinuxNative.IN_CLOSE_WRITE | LinuxNative.IN_CLOSE_NOWRITE);
    this.#wake = LinuxNative.eventfd();
    void this.#followUsers();
    // libuv reads the master through epoll (it cannot reopen a master by name, so it keeps this fd, non-blocking).
    this.#stream = new ReadStream(master);
    this.#stream.on('data', (packet: Buffer) => this.#packet(packet));
    // EXTPROC reports a tcsetattr only while it stays set, and most applications clear it with the
    // rest of c_lflag; changes made while no data flows are caught by this check instead.
    this.#watch = setInterval(() => this.#readSettings(), kSettingsCheckMs);
    this.#watch.unref();
    this.#stream.on('error', (e) => {
      if (this.#closed) return;
      this.close();
      handlers.error(e);
    });
  }

  /** Opens a new pseudo-terminal pair, raw, 8N1. */
  static open(handlers: PseudoTerminalHandlers): PseudoTerminal {
    const { master, path } = LinuxNative.openpt();
    try {
      return new PseudoTerminal(master, path, handlers);
    } catch (e) {
      closeSync(master);
      throw e;
    }
  }

  /** The slave's line settings as last seen. */
  get lineSettings(): SerialLineSettings {
    return this.#settings;
  }

  /**
   * Writes bytes for the application to read, without blocking: returns how many the slave took
   * (fewer, even 0, when its input buffer is full: wait with {@link whenWritable}).
   */
  write(bytes: Uint8Array): number {
    if (this.#closed) throw new IOReturnError(kIOReturnNotOpen, `the pseudo-terminal ${this.path} is closed`);
    try {
      return writeSync(this.#master, bytes);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return 0;
      throw e;
    }
  }

  /** Resolves when the slave has room for more input (or the terminal closed). */
  async whenWritable(): Promise<void> {
    if (this.#closed) return;
    await LinuxNative.pollWritable([this.#master], 1000);
  }

  /** Stops reading what the application writes (it then blocks or gets EAGAIN once the pty buffer fills). */
  pause(): void {
    this.#stream.pause();
  }

  resume(): void {
    if (!this.#closed) this.#stream.resume();
  }

  /** How many times applications hold the slave open now. */
  get users(): number {
    return this.#users;
  }

  /** Closes the master: applications with the slave open see a hang-up. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watch);
    this.#stream.destroy();
    closeSync(this.#slave);
    // Ends the wait on the inotify descriptor; both close once the waiting thread has seen it.
    writeSync(this.#wake, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  }

  /** Counts applications' opens and closes of the slave (inotify), telling the owner of each change. */
  async #followUsers(): Promise<void> {
    const events = Buffer.alloc(4096);
    try {
      while (!this.#closed) {
        await LinuxNative.pollReadable([this.#opens, this.#wake]);
        if (this.#closed) break;
        let n: number;
        try {
          n = readSync(this.#opens, events);
        } catch {
          continue;
        }
        let users = this.#users;
        // struct inotify_event: wd (4), mask (4), cookie (4), len (4), then len name bytes.
        for (let at = 0; at + 16 <= n; at += 16 + events.readUInt32LE(at + 12)) {
          const mask = events.readUInt32LE(at + 4);
          if (mask & LinuxNative.IN_OPEN) users++;
          if (mask & (LinuxNative.IN_CLOSE_WRITE | LinuxNative.IN_CLOSE_NOWRITE)) users = Math.max(0, users - 1);
        }
        if (users !== this.#users) {
          this.#users = users;
          this.#handlers.users?.(users);
        }
      }
    } finally {
      closeSync(this.#opens);
      closeSync(this.#wake);
    }
  }

  #packet(packet: Buffer): void {
    const status = packet[0];
    if (status === TIOCPKT_DATA) {
      // Settings first, so the driver is programmed before it sends these bytes.
      this.#readSettings();
      if (packet.length > 1) this.#handlers.data(packet.subarray(1));
      return;
    }
    if (status === undefined) return;
    if (status & (TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE)) this.#handlers.flush((status & TIOCPKT_FLUSHWRITE) !== 0, (status & TIOCPKT_FLUSHREAD) !== 0);
    if (status & TIOCPKT_IOCTL) this.#readSettings();
  }

  #readSettings(): void {
    if (this.#closed) return;
    // Only ever read: writing the termios back (to set EXTPROC again after an application cleared
    // it) would race the application's own tcsetattr calls and could undo one of them.
    LinuxNative.ioctl(this.#master, TCGETS2, this.#termios);
    if (this.#termios.every((b, i) => b === this.#seen[i])) return;
    this.#seen.set(this.#termios);
    const next = lineSettingsOf(this.#termios);
    const before = this.#settings;
    this.#settings = next;
    // A change elsewhere in termios (echo, say) is not one the UART hears about.
    if ((Object.keys(next) as (keyof SerialLineSettings)[]).some((k) => next[k] !== before[k])) this.#handlers.lineSettings(next);
  }
}
