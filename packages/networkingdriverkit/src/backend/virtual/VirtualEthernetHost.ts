import { formatMAC } from '../../NetworkingDriverKitConstants';
import type { VirtualEthernetLinkEnd } from './VirtualEthernetLinkEnd';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;

function checksum(bytes: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (bytes[i]! << 8) | (i + 1 < to ? bytes[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function parseIPv4(text: string): Uint8Array {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new RangeError(`"${text}" is not an IPv4 address`);
  return Uint8Array.from(parts);
}

/**
 * The far side of a virtual link for a bench with no real network: a minimal IPv4 host that answers
 * ARP requests for its address and ICMP echo requests to it, so `ping` through a driver on the other
 * end of the link gets replies. It counts what it saw.
 */
export class VirtualEthernetHost {
  readonly address: Uint8Array;
  readonly seen = { frames: 0, arpRequests: 0, echoRequests: 0 };
  readonly #end: VirtualEthernetLinkEnd;
  readonly #rx = new Uint8Array(65536);
  readonly #tx = new Uint8Array(65536);

  constructor(end: VirtualEthernetLinkEnd, address: string) {
    this.#end = end;
    this.address = parseIPv4(address);
    end.onReadable(() => this.#drain());
    this.#drain();
  }

  /** Answers what is waiting now (tests call it instead of waiting for the readable notification). @internal */
  drainForTest(): void {
    this.#drain();
  }

  #drain(): void {
    for (let n = this.#end.receive(this.#rx, 0); n > 0; n = this.#end.receive(this.#rx, 0)) {
      this.seen.frames++;
      this.#answer(this.#rx.subarray(0, n));
    }
  }

  #answer(f: Uint8Array): void {
    const type = (f[12]! << 8) | f[13]!;
    const me = this.#end.mac;
    if (type === ETHERTYPE_ARP && f.length >= 42 && f[21] === 1 && this.#isMe(f, 38)) {
      this.seen.arpRequests++;
      const r = this.#tx;
      r.set(f.subarray(6, 12), 0);
      r.set(me, 6);
      r.set(f.subarray(12, 20), 12);
      r[20] = 0;
      r[21] = 2;
      r.set(me, 22);
      r.set(this.address, 28);
      r.set(f.subarray(22, 32), 32);
      this.#end.send(r, 0, 42);
    } else if (type === ETHERTYPE_IPV4 && f.length >= 34 && (f[14]! & 0xf0) === 0x40 && f[23] === 1 && this.#isMe(f, 30)) {
      const ihl = (f[14]! & 0x0f) * 4;
      const total = (f[16]! << 8) | f[17]!;
      const icmp = 14 + ihl;
      if (f[icmp] !== 8 || 14 + total > f.length) return;
      this.seen.echoRequests++;
      const r = this.#tx;
      const length = 14 + total;
      r.set(f.subarray(0, length), 0);
      r.set(f.subarray(6, 12), 0);
      r.set(me, 6);
      r.set(this.address, 26);
      r.set(f.subarray(26, 30), 30);
      r[22] = 64;
      r[24] = 0;
      r[25] = 0;
      const ipSum = checksum(r, 14, icmp);
      r[24] = ipSum >> 8;
      r[25] = ipSum & 0xff;
      r[icmp] = 0;
      r[icmp + 2] = 0;
      r[icmp + 3] = 0;
      const icmpSum = checksum(r, icmp, length);
      r[icmp + 2] = icmpSum >> 8;
      r[icmp + 3] = icmpSum & 0xff;
      this.#end.send(r, 0, length);
    }
  }

  #isMe(f: Uint8Array, at: number): boolean {
    for (let i = 0; i < 4; i++) if (f[at + i] !== this.address[i]) return false;
    return true;
  }

  toString(): string {
    return `${Array.from(this.address).join('.')} at ${formatMAC(this.#end.mac)}`;
  }
}
