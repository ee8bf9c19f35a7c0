import { spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync, mkdtempSync, openSync, readlinkSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { LinuxNative } from '@driverkit/driverkit';
import { TCGETS2, TCSETS2, TERMIOS2_SIZE, makeRaw } from '../src/kernel/Termios';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { open, receive } from './helpers';
import { IOMainPortCreate, IORegistryEntryCreateCFProperty, IOServiceClose, IOServiceGetMatchingService, IOServiceNameMatching, IOServiceOpen, type IOMainPort } from '@driverkit/driverkit/client';
import { IOSerialGetModemStatus, IOSerialSendBreak, IOSerialSetDataFormat, IOSerialSetLatencyTimer, IOSerialSetModemLines, PD_RS232_PARITY_EVEN } from '../src/client';

// The path users take: `driverkit run` on a driver package (a loopback UART, in its own process), the
// published port opened with `serialport` as an app would, and the port's user client for what a tty
// cannot carry. The driver prints each hardware hook it is given; the tests read them from the host.
const bin = join(__dirname, '../../driverkit/bin/driverkit.mjs');
const fixture = join(__dirname, 'fixtures/serial-loopback');

class Bench {
  host!: ChildProcess;
  output = '';
  socket = '';
  ttyDir = '';
  mainPort!: IOMainPort;

  async start(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'dk-serial-'));
    this.socket = join(dir, 'host.sock');
    this.ttyDir = join(dir, 'tty');
    this.host = spawn(process.execPath, [bin, 'run', fixture, '--no-discover', '--socket', this.socket], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DRIVERKIT_TTY_DIR: this.ttyDir } });
    this.host.stdout!.on('data', (d) => (this.output += d));
    this.host.stderr!.on('data', (d) => (this.output += d));
    await this.waitFor(/started LoopbackUART/);
    this.mainPort = IOMainPortCreate(this.socket);
  }

  get path(): string {
    return join(this.ttyDir, 'cu.loop0');
  }

  /** Resolves once the host's output matches `re` (counting only output after `from`). */
  async waitFor(re: RegExp, from = 0, ms = 10_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.output.slice(from));
      if (m) return m[0];
      if (Date.now() > end || this.host.exitCode !== null) throw new Error(`no ${re} from the host after offset ${from}:\n${this.output.slice(from)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(): Promise<void> {
    this.mainPort?.close?.();
    if (this.host.exitCode === null) {
      this.host.kill('SIGTERM');
      await new Promise((r) => this.host.once('exit', r));
    }
  }
}


/** Bytes that are not all alike, so a lost, repeated or reordered chunk shows. */
function pattern(length: number): Buffer {
  const data = Buffer.alloc(length);
  for (let i = 0; i < length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  return data;
}

const close = (port: SerialPort) => new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));

describe('IOUserSerial published as a tty', () => {
  const bench = new Bench();
  beforeAll(() => bench.start(), 20_000);
  afterAll(() => bench.stop());

  test('the port is in the registry with its tty, and a stable name links to it', async () => {
    const service = await IOServiceGetMatchingService(bench.mainPort, IOServiceNameMatching('LoopbackUART'));
    expect(service).not.toBeNull();
    const prop = async (k: string) => String(await IORegistryEntryCreateCFProperty(service!, k));
    expect(await prop('IOTTYDevice')).toBe('loop0');
    expect(await prop('IOCalloutDevice')).toBe(bench.path);
    expect(await prop('IODialinDevice')).toBe(join(bench.ttyDir, 'tty.loop0'));
    const pts = await prop('IOSerialPTYPath');
    expect(pts).toMatch(/^\/dev\/pts\/\d+$/);
    expect(readlinkSync(bench.path)).toBe(pts);
    // Start ran the hardware up (activate, the tty's initial settings); DTR and RTS wait for an open.
    expect(bench.output).toMatch(/HwActivate[\s\S]*HwProgramUART 38400 8 2 1/);
    expect(bench.output).not.toMatch(/HwProgramMCR/);
  });

  test('an app\'s open raises DTR and RTS; its close drops them and deactivates; the next open activates and programs again', async () => {
    let from = bench.output.length;
    const port = await open(bench.path);
    await bench.waitFor(/HwProgramMCR dtr=true rts=true/, from);
    from = bench.output.length;
    await close(port);
    await bench.waitFor(/HwProgramMCR dtr=false rts=false[\s\S]*HwDeactivate/, from);
    from = bench.output.length;
    const again = await open(bench.path);
    try {
      await bench.waitFor(/HwActivate[\s\S]*HwProgramUART \d+ 8 2 1[\s\S]*HwProgramMCR dtr=true rts=true/, from);
    } finally {
      await close(again);
    }
  });

  test('bytes go both ways: what an app writes reaches TxDataAvailable, and the driver’s RX reaches the app', async () => {
    const port = await open(bench.path);
    try {
      const got = receive(port, 11);
      port.write('hello, UART');
      expect((await got).toString()).toBe('hello, UART');
    } finally {
      await close(port);
    }
  });

  test('an app\'s open flushes, then writes at once: its bytes are not wiped by a flush that waited behind a slow hook', async () => {
    const service = await IOServiceGetMatchingService(bench.mainPort, IOServiceNameMatching('LoopbackUART'));
    const connection = await IOServiceOpen(service!, 0);
    try {
      const from = bench.output.length;
      // Holds the hardware chain for 400 ms; serialport's open does tcflush(TCIOFLUSH) meanwhile.
      const slow = IOSerialSetLatencyTimer(connection, 400_000);
      await bench.waitFor(/HwProgramLatencyTimer begins 400000/, from);
      const port = await open(bench.path);
      try {
        const got = receive(port, 12);
        port.write('first bytes!');
        expect((await got).toString()).toBe('first bytes!');
        await slow;
        // The flush still reached the driver, in its turn (its log line comes through the host's output, maybe later).
        await bench.waitFor(/HwProgramLatencyTimer 400000[\s\S]*HwResetFIFO tx=true rx=true/, from);
      } finally {
        await close(port);
      }
    } finally {
      await IOServiceClose(connection);
    }
  });

  test('a large transfer through serialport (1 MiB in 16 KiB exchanges) arrives whole and in order', async () => {
    // One exchange at a time: with a large write and reads both waiting, serialport's poller can miss
    // a readable tty under load (seen with 4095 bytes waiting, FIONREAD), so this test does not rely
    // on it; the next one saturates both directions with plain Node I/O.
    const port = await open(bench.path);
    try {
      const data = pattern(1024 * 1024);
      const back: Buffer[] = [];
      for (let at = 0; at < data.length; at += 16384) {
        const got = receive(port, 16384);
        port.write(data.subarray(at, at + 16384));
        back.push(await got);
      }
      expect(Buffer.concat(back).equals(data)).toBe(true);
    } finally {
      await close(port);
    }
  }, 30_000);

  test('a saturating transfer (8 MiB written at once, far past both 16 KiB rings and the pty buffers) loses nothing', async () => {
    // An app with plain Node I/O: it writes as fast as the tty takes bytes while reading the echo.
    const fd = openSync(bench.path, constants.O_RDWR | constants.O_NOCTTY);
    const termios = new Uint8Array(TERMIOS2_SIZE);
    LinuxNative.ioctl(fd, TCGETS2, termios);
    makeRaw(termios);
    LinuxNative.ioctl(fd, TCSETS2, termios);
    const reader = new ReadStream(fd);
    try {
      const data = pattern(8 * 1024 * 1024);
      const chunks: Buffer[] = [];
      let n = 0;
      const done = new Promise<void>((resolve) =>
        reader.on('data', (d: Buffer) => {
          chunks.push(d);
          n += d.length;
          if (n >= data.length) resolve();
        }),
      );
      // libuv made the tty non-blocking for the reader: write what fits, wait for room for the rest.
      for (let at = 0; at < data.length; ) {
        try {
          at += writeSync(fd, data, at, Math.min(65536, data.length - at));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          await LinuxNative.pollWritable([fd], 100);
        }
      }
      await done;
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    } finally {
      reader.destroy();
    }
  }, 30_000);

  test('line settings an app makes reach HwProgramUART, HwProgramBaudRate and HwProgramFlowControl', async () => {
    const from = bench.output.length;
    const port = await open(bench.path, { baudRate: 57600, stopBits: 2, rtscts: true });
    try {
      // Stop bits in halves (4 = two). Linux's pty driver forces CS8 and no parity on every
      // tcsetattr, so the data bits and parity a pty carries are always 8 and none.
      // Where the hooks leave the line (serialport's open may set the rate in a second tcsetattr).
      await bench.waitFor(/line 57600 8 4 1/, from);
      await bench.waitFor(/HwProgramFlowControl 0xc 17 19/, from); // PD_RS232_A_CTS | PD_RS232_A_RFR
      await new Promise<void>((r, j) => port.update({ baudRate: 250000 }, (e) => (e ? j(e) : r())));
      await bench.waitFor(/HwProgramBaudRate 250000\n.*line 250000 8 4 1/, from);
      await new Promise<void>((r, j) => port.flush((e) => (e ? j(e) : r())));
      await bench.waitFor(/HwResetFIFO tx=true rx=true/, from);
    } finally {
      await close(port);
    }
  });

  test('modem lines and breaks, which a pty cannot carry, reach the driver through the port’s user client', async () => {
    const port = await open(bench.path);
    // The tty itself refuses them, as every Linux pty does.
    await expect(new Promise<void>((r, j) => port.set({ dtr: false }, (e) => (e ? j(e) : r())))).rejects.toThrow(/Inappropriate ioctl/);
    const service = await IOServiceGetMatchingService(bench.mainPort, IOServiceNameMatching('LoopbackUART'));
    const connection = await IOServiceOpen(service!, 0);
    try {
      const from = bench.output.length;
      await IOSerialSetModemLines(connection, { dtr: false, rts: true });
      await bench.waitFor(/HwProgramMCR dtr=false rts=true/, from);
      await IOSerialSendBreak(connection, true);
      await IOSerialSendBreak(connection, false);
      await bench.waitFor(/HwSendBreak true[\s\S]*HwSendBreak false/, from);
      // What the driver set with SetModemStatus at Start.
      expect(await IOSerialGetModemStatus(connection)).toEqual({ cts: true, dsr: true, ri: false, dcd: true });
      await IOSerialSetLatencyTimer(connection, 2000);
      await bench.waitFor(/HwProgramLatencyTimer 2000/, from);
    } finally {
      await IOServiceClose(connection);
      await close(port);
    }
  });

  test('data bits and parity, which a pty forces to 8N, are set through the user client and hold across tcsetattr', async () => {
    const port = await open(bench.path, { baudRate: 9600 });
    const service = await IOServiceGetMatchingService(bench.mainPort, IOServiceNameMatching('LoopbackUART'));
    const connection = await IOServiceOpen(service!, 0);
    try {
      const from = bench.output.length;
      await IOSerialSetDataFormat(connection, 7, PD_RS232_PARITY_EVEN);
      await bench.waitFor(/HwProgramUART \d+ 7 2 3/, from);
      await new Promise<void>((r, j) => port.update({ baudRate: 19200 }, (e) => (e ? j(e) : r())));
      await bench.waitFor(/HwProgramBaudRate 19200\n.*line 19200 7 2 3/, from);
      expect(bench.output.slice(from)).not.toMatch(/HwProgramUART \d+ 8/);
      // Hostile or mistaken values are refused by name, and change nothing.
      await expect(IOSerialSetDataFormat(connection, 9, PD_RS232_PARITY_EVEN)).rejects.toThrow(/9 data bits; 5…8 expected/);
      await expect(IOSerialSetDataFormat(connection, 8, 42)).rejects.toThrow(/parity 42 is none of/);
    } finally {
      await IOServiceClose(connection);
      await close(port);
    }
  });
});

test('stopping the driver while an app is writing: the app sees the port close, the host stops, the names go', async () => {
  const bench = new Bench();
  await bench.start();
  const port = await open(bench.path);
  const errors: string[] = [];
  const closed = new Promise<void>((r) => port.once('close', () => r()));
  port.on('error', (e) => errors.push(e.message));
  // The app writes without reading: the echo fills its input, then both rings, then the pty.
  const chunk = Buffer.alloc(4096, 0x55);
  const pump = () => {
    if (port.isOpen) port.write(chunk, (e) => (e ? errors.push(e.message) : setImmediate(pump)));
  };
  pump();
  await new Promise((r) => setTimeout(r, 300));
  await bench.stop();
  // Nothing the app does holds the driver: it answered terminate (no "no reply within" from the host).
  expect(bench.output).not.toMatch(/no reply within/);
  await closed;
  // The app's next I/O fails (EIO from the hung-up tty, or EBADF once serialport closed it), and the port closes.
  expect(errors.join('\n')).toMatch(/EIO|i\/o error|bad file descriptor|disconnected/i);
  expect(bench.output).toMatch(/HwDeactivate/);
  expect(existsSync(bench.path)).toBe(false);
  expect(existsSync(join(bench.ttyDir, 'tty.loop0'))).toBe(false);
}, 30_000);
