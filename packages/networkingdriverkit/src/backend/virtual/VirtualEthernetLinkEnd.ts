import { IODispatchQueue, IOReturnError, OSAction, OSObject, kIOReturnBadArgument, kIOReturnSuccess, IODataQueueDispatchSource } from '@driverkit/driverkit';
import { kEthernetHeaderLength, kEthernetVLANTagLength, parseMAC } from '../../NetworkingDriverKitConstants';
import type { EthernetPortHandle, EthernetPortStatistics } from '../EthernetPortBackend';
import { CARRIER_WORD, type VirtualLinkEndDescription, type VirtualLinkImpairments } from './VirtualEthernetLink';

const DUE = 8;

/** A small, seedable random sequence (mulberry32): impairments repeat for a given seed. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One end of a {@link VirtualEthernetLink}, opened from its locator in whatever process drives it.
 * Sending applies the end's impairments (loss, duplication, reordering, delay with jitter);
 * receiving honours each frame's due time.
 */
export class VirtualEthernetLinkEnd extends OSObject implements EthernetPortHandle {
  readonly mac: Uint8Array;
  readonly maxFrameSize: number;
  readonly statistics: EthernetPortStatistics = { received: 0, sent: 0, bad: 0, dropped: 0 };
  readonly #send: IODataQueueDispatchSource;
  readonly #receive: IODataQueueDispatchSource;
  readonly #carrier: Int32Array;
  readonly #impair: Required<Omit<VirtualLinkImpairments, 'seed'>>;
  readonly #random: () => number;
  readonly #queue = IODispatchQueue.Create('VirtualEthernetLinkEnd');
  readonly #dueView = new DataView(new ArrayBuffer(8));
  #held: Uint8Array | null = null;
  #listener: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #peekDue = 0;
  #closed = false;
  readonly #readDue = (data: Uint8Array) => {
    this.#peekDue = new DataView(data.buffer, data.byteOffset, DUE).getFloat64(0, true);
  };

  private constructor(d: VirtualLinkEndDescription) {
    super();
    const mac = parseMAC(d.mac);
    if (!mac || !Number.isInteger(d.mtu) || d.mtu < 68 || d.mtu > 65535) throw new IOReturnError(kIOReturnBadArgument, 'virtual link: the locator names no MAC address or a bad MTU');
    this.mac = mac;
    this.maxFrameSize = d.mtu + kEthernetHeaderLength + kEthernetVLANTagLength;
    this.#send = IODataQueueDispatchSource.attachByName(d.send, this.#queue);
    this.#receive = IODataQueueDispatchSource.attachByName(d.receive, this.#queue);
    // The carrier lives in the a→b queue's header, whichever end this is.
    const ab = (d.end === 'a' ? this.#send : this.#receive).CopyMemory();
    this.#carrier = new Int32Array(ab.sharedMemory.buffer, 0, 32);
    ab.release();
    const i = d.impair ?? {};
    this.#impair = { loss: i.loss ?? 0, duplicate: i.duplicate ?? 0, reorder: i.reorder ?? 0, delayMs: i.delayMs ?? 0, jitterMs: i.jitterMs ?? 0 };
    this.#random = random(i.seed ?? 1);
  }

  /** Opens the end a locator describes (the JSON of a {@link VirtualLinkEndDescription}). */
  static open(locator: string): VirtualEthernetLinkEnd {
    let d: VirtualLinkEndDescription;
    try {
      d = JSON.parse(locator) as VirtualLinkEndDescription;
    } catch {
      throw new IOReturnError(kIOReturnBadArgument, 'virtual link: the locator is not a link end description');
    }
    if (typeof d?.send !== 'string' || typeof d.receive !== 'string' || typeof d.mac !== 'string') throw new IOReturnError(kIOReturnBadArgument, 'virtual link: the locator is not a link end description');
    return new VirtualEthernetLinkEnd(d);
  }

  receive(buffer: Uint8Array, offset: number): number {
    if (this.#closed) return 0;
    const room = buffer.length - offset;
    for (;;) {
      if (this.#receive.Peek(this.#readDue) !== kIOReturnSuccess) return 0;
      const wait = this.#peekDue - performance.timeOrigin - performance.now();
      if (wait > 0) {
        this.#wakeIn(wait);
        return 0;
      }
      let length = 0;
      this.#receive.Dequeue((data) => {
        length = data.length - DUE;
        if (length >= kEthernetHeaderLength && length <= this.maxFrameSize && length <= room) buffer.set(data.subarray(DUE), offset);
      });
      // A frame that is not one (a runt, too big for this end) is counted and dropped, as a NIC does.
      if (length < kEthernetHeaderLength || length > this.maxFrameSize || length > room) {
        this.statistics.bad++;
        continue;
      }
      this.statistics.received++;
      return length;
    }
  }

  send(buffer: Uint8Array, offset: number, length: number): boolean {
    if (this.#closed || Atomics.load(this.#carrier, CARRIER_WORD) === 0) {
      this.statistics.dropped++;
      return false;
    }
    if (length < kEthernetHeaderLength || length > this.maxFrameSize) {
      this.statistics.bad++;
      return false;
    }
    const i = this.#impair;
    if (i.loss > 0 && this.#random() < i.loss) {
      this.statistics.dropped++;
      return true;
    }
    const frame = buffer.subarray(offset, offset + length);
    if (i.reorder > 0 && !this.#held && this.#random() < i.reorder) {
      // Held until the next frame goes (or a millisecond passes).
      this.#held = frame.slice();
      setTimeout(() => this.#flushHeld(), 1).unref();
      this.statistics.sent++;
      return true;
    }
    let ok = this.#put(frame);
    if (ok && i.duplicate > 0 && this.#random() < i.duplicate) this.#put(frame);
    this.#flushHeld();
    if (ok) this.statistics.sent++;
    return ok;
  }

  #flushHeld(): void {
    const held = this.#held;
    this.#held = null;
    if (held && !this.#closed) this.#put(held);
  }

  #put(frame: Uint8Array): boolean {
    const i = this.#impair;
    const due = i.delayMs + i.jitterMs > 0 ? performance.timeOrigin + performance.now() + i.delayMs + this.#random() * i.jitterMs : 0;
    this.#dueView.setFloat64(0, due, true);
    const status = this.#send.Enqueue(DUE + frame.length, (data) => {
      data.set(new Uint8Array(this.#dueView.buffer), 0);
      data.set(frame, DUE);
    });
    if (status !== kIOReturnSuccess) this.statistics.dropped++;
    return status === kIOReturnSuccess;
  }

  onReadable(listener: () => void): void {
    this.#listener = listener;
    const action = OSAction.Create(this, 'DataAvailable');
    this.#receive.SetDataAvailableHandler(action);
    action.release();
  }

  /** The receive queue's DataAvailable. @internal (an OSAction target) */
  DataAvailable(): void {
    this.#listener?.();
  }

  #wakeIn(ms: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#listener?.();
    }, Math.ceil(ms));
  }

  setFilter(expression: string): void {
    throw new IOReturnError(kIOReturnBadArgument, `virtual link: BPF filters ("${expression}") need a pcap port`);
  }

  linkUp(): boolean {
    return !this.#closed && Atomics.load(this.#carrier, CARRIER_WORD) === 1;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const s of [this.#send, this.#receive]) {
      s.Cancel();
      s.release();
    }
    this.#queue.Cancel();
  }
}
