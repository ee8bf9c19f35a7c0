import { closeSync, readFileSync, readSync, writeSync } from 'node:fs';
import { IOReturnError, LinuxNative, kIOReturnBadArgument, kIOReturnIOError } from '@driverkit/driverkit';
import { kEthernetHeaderLength, kEthernetVLANTagLength, parseMAC } from '../../NetworkingDriverKitConstants';
import type { EthernetPortHandle, EthernetPortStatistics } from '../EthernetPortBackend';
import { libpcap, pcapError, type LibPcap } from './LibPcap';

const PCAP_D_IN = 1;
const PCAP_ERRBUF_SIZE = 256;

/**
 * A NIC that is an existing Linux interface, through libpcap: frames arriving on it are captured
 * (inbound only, so what this port injects is not read back) and frames sent are injected. The
 * capture is non-blocking; its selectable descriptor is polled on a threadpool thread and frames are
 * then read on the event loop, one libpcap call and one copy each, straight into packet buffers.
 */
export class PcapEthernetPort implements EthernetPortHandle {
  readonly mac: Uint8Array;
  readonly maxFrameSize: number;
  readonly statistics: EthernetPortStatistics = { received: 0, sent: 0, bad: 0, dropped: 0 };
  readonly #lib: LibPcap;
  readonly #p: unknown;
  readonly #fd: number;
  readonly #wake: number;
  readonly #header = new BigUint64Array(1);
  readonly #data = new BigUint64Array(1);
  readonly #lengths = new Uint32Array(2);
  readonly #stats = new Uint32Array(3);
  #listener: (() => void) | null = null;
  #polling = false;
  #closed = false;
  #droppedBase = 0;

  private constructor(readonly interfaceName: string, lib: LibPcap, p: unknown, mac: Uint8Array, mtu: number) {
    this.#lib = lib;
    this.#p = p;
    this.mac = mac;
    this.maxFrameSize = mtu + kEthernetHeaderLength + kEthernetVLANTagLength;
    this.#fd = Number(lib.selectableFd(p));
    this.#wake = LinuxNative.eventfd();
  }

  /** Opens live capture and injection on `interfaceName` (it must exist and be up). */
  static open(interfaceName: string): PcapEthernetPort {
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(interfaceName)) throw new IOReturnError(kIOReturnBadArgument, `"${interfaceName}" is not an interface name`);
    let mac: Uint8Array | null;
    let mtu: number;
    try {
      mac = parseMAC(readFileSync(`/sys/class/net/${interfaceName}/address`, 'utf8'));
      mtu = Number(readFileSync(`/sys/class/net/${interfaceName}/mtu`, 'utf8'));
    } catch {
      throw new IOReturnError(kIOReturnBadArgument, `pcap port: there is no interface ${interfaceName} (/sys/class/net/${interfaceName} is missing)`);
    }
    if (!mac) throw new IOReturnError(kIOReturnBadArgument, `pcap port: ${interfaceName} has no Ethernet address`);
    const lib = libpcap();
    const errbuf = new Uint8Array(PCAP_ERRBUF_SIZE);
    const p = lib.create(interfaceName, errbuf);
    if (!p) throw new IOReturnError(kIOReturnIOError, `pcap_create(${interfaceName}): ${Buffer.from(errbuf.subarray(0, errbuf.indexOf(0))).toString()}`);
    const check = (what: string, status: number) => {
      if (status < 0) {
        const e = pcapError(lib, p, `pcap port ${interfaceName}: ${what}`, status);
        lib.close(p);
        throw e;
      }
    };
    lib.setSnaplen(p, mtu + kEthernetHeaderLength + kEthernetVLANTagLength);
    lib.setImmediateMode(p, 1);
    // A NIC driver's stack decides what it accepts (its MAC, multicast, promiscuous): the capture takes everything.
    lib.setPromisc(p, 1);
    lib.setTimeout(p, 1);
    check('pcap_activate', Number(lib.activate(p)));
    check('pcap_setnonblock', Number(lib.setNonblock(p, 1, errbuf)));
    check('pcap_setdirection(in)', Number(lib.setDirection(p, PCAP_D_IN)));
    return new PcapEthernetPort(interfaceName, lib, p, mac, mtu);
  }

  receive(buffer: Uint8Array, offset: number, address: bigint): number {
    if (this.#closed) return 0;
    const room = buffer.length - offset;
    for (;;) {
      const r = Number(this.#lib.nextEx(this.#p, this.#header, this.#data));
      if (r !== 1) return 0;
      // struct pcap_pkthdr: a 16-byte timeval, then caplen and len.
      this.#lib.memcpy(this.#lengths, this.#header[0]! + 16n, 8);
      const caplen = this.#lengths[0]!;
      const len = this.#lengths[1]!;
      if (caplen < len || caplen < kEthernetHeaderLength || caplen > this.maxFrameSize || caplen > room) {
        this.statistics.bad++;
        continue;
      }
      // Address 0: the buffer is not memory this process mapped (a test's Uint8Array); copy through the view.
      this.#lib.memcpy(address === 0n ? buffer.subarray(offset) : address, this.#data[0]!, caplen);
      this.statistics.received++;
      return caplen;
    }
  }

  send(buffer: Uint8Array, offset: number, length: number, address: bigint): boolean {
    if (this.#closed || length < kEthernetHeaderLength || length > this.maxFrameSize) {
      this.statistics.bad++;
      return false;
    }
    const ok = Number(this.#lib.inject(this.#p, address === 0n ? buffer.subarray(offset, offset + length) : address, length)) === length;
    if (ok) this.statistics.sent++;
    else this.statistics.dropped++;
    return ok;
  }

  onReadable(listener: () => void): void {
    this.#listener = listener;
    this.#poll();
  }

  #poll(): void {
    if (this.#closed || this.#polling || !this.#listener) return;
    this.#polling = true;
    LinuxNative.pollReadable([this.#fd, this.#wake]).then(
      (ready) => {
        this.#polling = false;
        if (this.#closed) return;
        if (ready.includes(this.#wake)) readSync(this.#wake, Buffer.alloc(8));
        this.#listener?.();
        this.#poll();
      },
      () => {
        this.#polling = false;
      },
    );
  }

  setFilter(expression: string): void {
    const program = { bf_len: 0, bf_insns: null };
    const status = Number(this.#lib.compile(this.#p, program, expression, 1, 0xffffffff));
    if (status < 0) throw new IOReturnError(kIOReturnBadArgument, `pcap port ${this.interfaceName}: the filter "${expression}" does not compile: ${String(this.#lib.geterr(this.#p))}`);
    try {
      const set = Number(this.#lib.setFilter(this.#p, program));
      if (set < 0) throw pcapError(this.#lib, this.#p, `pcap port ${this.interfaceName}: pcap_setfilter`, set);
    } finally {
      this.#lib.freeCode(program);
    }
  }

  linkUp(): boolean {
    try {
      return readFileSync(`/sys/class/net/${this.interfaceName}/carrier`, 'utf8').trim() === '1';
    } catch {
      return false;
    }
  }

  /** libpcap's drop count (the kernel's and the interface's) since the last call, added to `dropped`. */
  refreshStatistics(): void {
    if (this.#closed || Number(this.#lib.stats(this.#p, this.#stats)) < 0) return;
    const drops = this.#stats[1]! + this.#stats[2]!;
    this.statistics.dropped += drops - this.#droppedBase;
    this.#droppedBase = drops;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    writeSync(this.#wake, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    this.#lib.close(this.#p);
    // The eventfd goes once the poll thread has seen it.
    const wake = this.#wake;
    setTimeout(() => closeQuietly(wake), 50).unref();
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
