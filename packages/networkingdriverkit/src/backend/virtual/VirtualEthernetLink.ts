import { IODataQueueDispatchSource, IODispatchQueue, IOReturnError, kIOReturnBadArgument } from '@driverkit/driverkit';
import { formatMAC, kEthernetDefaultMTU } from '../../NetworkingDriverKitConstants';

/** What a sending end does to its frames, each a probability from 0 to 1 or a time. */
export interface VirtualLinkImpairments {
  /** Drop a frame. */
  loss?: number;
  /** Send a frame twice. */
  duplicate?: number;
  /** Hold a frame back and send it after the next one. */
  reorder?: number;
  /** Every frame arrives this much later… */
  delayMs?: number;
  /** …plus up to this much more, at random. */
  jitterMs?: number;
  /** The random sequence (the same seed, the same drops). */
  seed?: number;
}

/** Everything an end needs to open its side of a link in any process (the port's locator, as JSON). */
export interface VirtualLinkEndDescription {
  end: 'a' | 'b';
  send: string;
  receive: string;
  mac: string;
  mtu: number;
  impair: VirtualLinkImpairments;
}

export interface VirtualEthernetLinkOptions {
  /** Bytes each direction can hold in flight (default 1 MiB). */
  capacity?: number;
  mtu?: number;
  /** Impairments of frames sent by end a, and by end b. */
  a?: VirtualLinkImpairments;
  b?: VirtualLinkImpairments;
}

// Header word (Int32) of the a→b queue, in the data queue's reserved bytes, holding the link's carrier.
export const CARRIER_WORD = 20;

/**
 * Two virtual NICs wired back to back: a data queue each way in process-shared memory, so the ends
 * can live in different processes (a driver's, a test's). Each entry is an 8-byte due time and a
 * frame. The creator owns the memory; the link's carrier can be cut and restored ({@link setCarrier}).
 */
export class VirtualEthernetLink {
  readonly #ab: IODataQueueDispatchSource;
  readonly #ba: IODataQueueDispatchSource;
  readonly #carrier: Int32Array;
  readonly a: VirtualLinkEndDescription;
  readonly b: VirtualLinkEndDescription;
  #closed = false;

  private constructor(options: VirtualEthernetLinkOptions) {
    const capacity = options.capacity ?? 1 << 20;
    if (!Number.isInteger(capacity) || capacity < 4096 || capacity % 4 !== 0) throw new IOReturnError(kIOReturnBadArgument, `a virtual link's capacity is a multiple of 4 of at least 4096 bytes, not ${capacity}`);
    const queue = IODispatchQueue.Create('VirtualEthernetLink');
    this.#ab = IODataQueueDispatchSource.Create(capacity, queue, 'process');
    this.#ba = IODataQueueDispatchSource.Create(capacity, queue, 'process');
    const ab = this.#ab.CopyMemory();
    const ba = this.#ba.CopyMemory();
    this.#carrier = new Int32Array(ab.sharedMemory.buffer, 0, 32);
    Atomics.store(this.#carrier, CARRIER_WORD, 1);
    const mtu = options.mtu ?? kEthernetDefaultMTU;
    const abName = ab.sharedMemory.name!;
    const baName = ba.sharedMemory.name!;
    ab.release();
    ba.release();
    // Locally administered addresses, told apart by their last byte.
    const mac = (end: number) => {
      const m = Uint8Array.from([0x02, 0x64, 0x6b, 0, 0, end]);
      new DataView(m.buffer).setUint16(3, process.pid & 0xffff);
      return formatMAC(m);
    };
    this.a = { end: 'a', send: abName, receive: baName, mac: mac(0xa), mtu, impair: options.a ?? {} };
    this.b = { end: 'b', send: baName, receive: abName, mac: mac(0xb), mtu, impair: options.b ?? {} };
  }

  static create(options: VirtualEthernetLinkOptions = {}): VirtualEthernetLink {
    for (const [end, i] of [['a', options.a], ['b', options.b]] as const) {
      for (const k of ['loss', 'duplicate', 'reorder'] as const) {
        const p = i?.[k];
        if (p !== undefined && !(p >= 0 && p <= 1)) throw new IOReturnError(kIOReturnBadArgument, `virtual link end ${end}: ${k} is a probability from 0 to 1, not ${p}`);
      }
      for (const k of ['delayMs', 'jitterMs'] as const) {
        const t = i?.[k];
        if (t !== undefined && !(t >= 0 && t <= 60_000)) throw new IOReturnError(kIOReturnBadArgument, `virtual link end ${end}: ${k} is 0–60000 ms, not ${t}`);
      }
    }
    return new VirtualEthernetLink(options);
  }

  /** The locator an IOEthernetPort of backend `virtual` carries for end `end`. */
  locator(end: 'a' | 'b'): string {
    return JSON.stringify(end === 'a' ? this.a : this.b);
  }

  /** Cuts (false) or restores (true) the link: both ends see carrier follow. */
  setCarrier(up: boolean): void {
    Atomics.store(this.#carrier, CARRIER_WORD, up ? 1 : 0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const s of [this.#ab, this.#ba]) {
      s.Cancel();
      s.release();
    }
  }
}
