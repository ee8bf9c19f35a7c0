import { IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import { kEthernetDefaultMTU, kEthernetHeaderLength, kEthernetVLANTagLength } from '../../NetworkingDriverKitConstants';
import { CaptureFile, type CapturedFrame } from '../../capture/CaptureFile';
import type { EthernetPortHandle, EthernetPortStatistics } from '../EthernetPortBackend';

/** A replay port's locator: a capture's path, or this as JSON. */
export interface ReplayPortOptions {
  path: string;
  /** 0 (default): frames come as fast as the driver takes them; 1: at the capture's own pace; 2: twice as fast… */
  speed?: number;
  /** Waits this long after the driver first asks before the first frame. */
  startDelayMs?: number;
  mtu?: number;
}

/**
 * A NIC whose received traffic is a real capture (pcap or pcapng), played back frame by frame.
 * Truncated records (captured shorter than they were on the wire), runts and oversized frames are
 * counted in `bad` and skipped, as a NIC drops frames it cannot receive whole. What the driver sends
 * is counted and kept (the last 1024 frames) for a test to look at.
 */
export class ReplayEthernetPort implements EthernetPortHandle {
  readonly mac = Uint8Array.from([0x02, 0x72, 0x70, 0x6c, 0x61, 0x79]);
  readonly maxFrameSize: number;
  readonly statistics: EthernetPortStatistics = { received: 0, sent: 0, bad: 0, dropped: 0 };
  readonly sentFrames: Uint8Array[] = [];
  readonly #frames: CapturedFrame[];
  readonly #speed: number;
  readonly #startDelayMs: number;
  #next = 0;
  #startedAt = -1;
  #listener: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(options: ReplayPortOptions) {
    this.#frames = CaptureFile.read(options.path).frames;
    this.#speed = options.speed ?? 0;
    this.#startDelayMs = options.startDelayMs ?? 0;
    this.maxFrameSize = (options.mtu ?? kEthernetDefaultMTU) + kEthernetHeaderLength + kEthernetVLANTagLength;
    if (!(this.#speed >= 0) || !(this.#startDelayMs >= 0)) throw new IOReturnError(kIOReturnBadArgument, 'replay port: speed and startDelayMs are positive numbers');
  }

  static open(locator: string): ReplayEthernetPort {
    let options: ReplayPortOptions = { path: locator };
    if (locator.startsWith('{')) {
      try {
        options = JSON.parse(locator) as ReplayPortOptions;
      } catch {
        throw new IOReturnError(kIOReturnBadArgument, 'replay port: the locator is neither a path nor JSON options');
      }
    }
    if (typeof options.path !== 'string') throw new IOReturnError(kIOReturnBadArgument, 'replay port: the locator names no capture path');
    return new ReplayEthernetPort(options);
  }

  /** Frames not yet played. */
  get remaining(): number {
    return this.#frames.length - this.#next;
  }

  receive(buffer: Uint8Array, offset: number): number {
    if (this.#closed) return 0;
    const now = performance.now();
    if (this.#startedAt < 0) this.#startedAt = now + this.#startDelayMs;
    while (this.#next < this.#frames.length) {
      const wait = this.#dueAt(this.#next) - now;
      if (wait > 0) {
        this.#wakeIn(wait);
        return 0;
      }
      const f = this.#frames[this.#next++]!;
      const n = f.data.length;
      if (n < f.originalLength || n < kEthernetHeaderLength || n > this.maxFrameSize || n > buffer.length - offset) {
        this.statistics.bad++;
        continue;
      }
      buffer.set(f.data, offset);
      this.statistics.received++;
      return n;
    }
    return 0;
  }

  #dueAt(index: number): number {
    if (this.#speed === 0) return this.#startedAt;
    const first = this.#frames[0]!.timestampNs;
    return this.#startedAt + Number(this.#frames[index]!.timestampNs - first) / 1e6 / this.#speed;
  }

  send(buffer: Uint8Array, offset: number, length: number): boolean {
    if (this.#closed) return false;
    if (this.sentFrames.length === 1024) this.sentFrames.shift();
    this.sentFrames.push(buffer.slice(offset, offset + length));
    this.statistics.sent++;
    return true;
  }

  onReadable(listener: () => void): void {
    this.#listener = listener;
    setImmediate(() => this.#listener?.());
  }

  #wakeIn(ms: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#listener?.();
    }, Math.ceil(ms));
  }

  setFilter(expression: string): void {
    throw new IOReturnError(kIOReturnBadArgument, `replay port: BPF filters ("${expression}") need a pcap port`);
  }

  linkUp(): boolean {
    return !this.#closed;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}
