import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import { VirtualHIDDevice } from '../backend/virtual/VirtualHIDDevice';

/** One recorded input report and when it arrived, in seconds from the recording's start. */
export interface HIDRecordedReport {
  time: number;
  report: Uint8Array;
}

const BUS_NAMES: Record<number, string> = { 0x03: 'USB', 0x05: 'Bluetooth', 0x18: 'I2C', 0x19: 'Virtual' };

const bad = (what: string) => new IOReturnError(kIOReturnBadArgument, what);

function hexBytes(text: string, where: string): Uint8Array {
  const tokens = text.trim().split(/\s+/).filter(Boolean);
  return Uint8Array.from(tokens, (t) => {
    if (!/^[0-9a-fA-F]{1,2}$/.test(t)) throw bad(`${where}: "${t}" is not a hex byte`);
    return parseInt(t, 16);
  });
}

/**
 * A HID device's identity, report descriptor and recorded input reports, read from the formats the
 * shared recordings use: hid-recorder text (`R:`, `N:`, `I:`, `E:` lines), the Android `hid` tool's
 * JSON (register and report commands) and hidapi's annotated descriptor dumps. It becomes a
 * {@link VirtualHIDDevice} and replays its reports.
 */
export class HIDRecording {
  constructor(
    readonly name: string,
    readonly vendorId: number,
    readonly productId: number,
    readonly transport: string,
    readonly reportDescriptor: Uint8Array,
    readonly reports: HIDRecordedReport[] = [],
  ) {}

  /** hid-recorder's text format; a file with several devices (`D:` lines) gives the first. */
  static fromHidRecorder(text: string): HIDRecording {
    let name = 'HID recording';
    let [bus, vid, pid] = [0, 0, 0];
    let descriptor: Uint8Array | null = null;
    let first: string | null = null;
    let current: string | null = null;
    const reports: HIDRecordedReport[] = [];
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim();
      const at = `hid-recorder line ${i + 1}`;
      const [tag, rest] = [line.slice(0, 2), line.slice(2).trim()];
      if (tag === 'D:') {
        current = rest;
        first ??= rest;
      }
      if (current !== first) return;
      if (tag === 'N:') name = rest;
      else if (tag === 'I:') [bus, vid, pid] = rest.split(/\s+/).map((h) => parseInt(h, 16)) as [number, number, number];
      else if (tag === 'R:' || tag === 'E:') {
        const fields = rest.split(/\s+/);
        const time = tag === 'E:' ? Number(fields.shift()) : 0;
        const length = Number(fields.shift());
        const bytes = hexBytes(fields.join(' '), at);
        if (!Number.isInteger(length) || bytes.length !== length) throw bad(`${at}: declares ${length} bytes but has ${bytes.length}`);
        if (tag === 'R:') descriptor ??= bytes;
        else {
          if (!Number.isFinite(time)) throw bad(`${at}: "${raw}" has no timestamp`);
          reports.push({ time, report: bytes });
        }
      }
    });
    if (!descriptor) throw bad('hid-recorder: no R: (report descriptor) line');
    return new HIDRecording(name, vid, pid, BUS_NAMES[bus] ?? 'USB', descriptor, reports);
  }

  /**
   * The Android `hid` tool's commands (CTS resources): a `register` object, and optionally the
   * reports to send (an array of report arrays). Its JSON has hex literals, which JSON.parse refuses.
   */
  static fromAndroidHid(registerJson: string, reports: number[][] = [], intervalSeconds = 0.01): HIDRecording {
    const parse = (s: string) => JSON.parse(s.replace(/\b0x([0-9a-fA-F]+)\b/g, (_m, h: string) => String(parseInt(h, 16)))) as Record<string, unknown>;
    const r = parse(registerJson);
    if (r.command !== 'register' || !Array.isArray(r.descriptor)) throw bad('Android hid: expected a "register" command with a "descriptor" array');
    const bus = String(r.bus ?? 'usb').toUpperCase();
    return new HIDRecording(
      String(r.name ?? 'Android hid device'),
      Number(r.vid ?? 0),
      Number(r.pid ?? 0),
      bus === 'BLUETOOTH' ? 'Bluetooth' : 'USB',
      Uint8Array.from(r.descriptor as number[]),
      reports.map((report, i) => ({ time: i * intervalSeconds, report: Uint8Array.from(report) })),
    );
  }

  /**
   * hidapi's descriptor dumps, in any of their notations: a hid-decode `R:` line, a block of plain hex
   * bytes, a C array (`0x05, 0x01, // Usage Page`), or `Item (value) 05 01` / `End Collection C0` lines.
   */
  static descriptorFromHidapiText(text: string): Uint8Array {
    const lines = text.split('\n');
    const r = lines.find((l) => /^R:\s/.test(l));
    if (r) return hexBytes(r.slice(2).trim().split(/\s+/).slice(1).join(' '), 'R: line');
    const plain = lines.filter((l) => /^\s*([0-9A-Fa-f]{2}\s+)*[0-9A-Fa-f]{2}\s*$/.test(l));
    if (plain.length) return hexBytes(plain.join(' '), 'hex block');
    const c = lines.map((l) => l.replace(/^#\s*/, '')).filter((l) => /^\s*0x[0-9A-Fa-f]{2}/.test(l));
    if (c.length) return Uint8Array.from(c.flatMap((l) => l.split('//')[0]!.match(/0x[0-9A-Fa-f]{2}/g) ?? []), (t) => parseInt(t, 16));
    const items = lines.map((l) => /^\s*[A-Za-z][^()]*?(?:\([^)]*\))?\s+((?:[0-9A-Fa-f]{2}\s*)+)$/.exec(l)).filter((m) => m !== null);
    if (items.length) return hexBytes(items.map((m) => m[1]!).join(' '), 'item lines');
    throw bad('hidapi text: no report descriptor bytes found');
  }

  /** A virtual device with this identity and descriptor. */
  toVirtualDevice(locationID = 0): VirtualHIDDevice {
    return new VirtualHIDDevice({
      vendorId: this.vendorId,
      productId: this.productId,
      versionNumber: 0,
      manufacturer: null,
      product: this.name,
      serialNumber: null,
      transport: this.transport,
      locationID,
      reportDescriptor: this.reportDescriptor,
    });
  }

  /**
   * Sends the recorded reports to `device` with their recorded spacing (divided by `speed`); resolves
   * when the last is sent or `signal` aborts.
   */
  async replay(device: VirtualHIDDevice, options: { speed?: number; signal?: AbortSignal } = {}): Promise<number> {
    const speed = options.speed ?? 1;
    const start = performance.now();
    const t0 = this.reports[0]?.time ?? 0;
    let sent = 0;
    for (const { time, report } of this.reports) {
      if (options.signal?.aborted) break;
      const due = start + ((time - t0) * 1000) / speed;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (options.signal?.aborted) break;
      device.sendInput(report);
      sent++;
    }
    return sent;
  }

  /**
   * Replays the session again and again, as a bench device that keeps being used: a round only while
   * someone has `device` open, `pauseMs` between rounds, until `signal` aborts.
   */
  async loop(device: VirtualHIDDevice, options: { pauseMs?: number; signal: AbortSignal }): Promise<void> {
    while (!options.signal.aborted) {
      if (device.isOpen()) await this.replay(device, { signal: options.signal }).catch(() => 0);
      await new Promise((r) => setTimeout(r, options.pauseMs ?? 500));
    }
  }
}
