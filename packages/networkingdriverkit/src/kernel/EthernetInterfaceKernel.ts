import { closeSync, readSync, writeSync } from 'node:fs';
import {
  IODispatchQueue,
  IOReturnError,
  IORemoteArguments,
  IOSharedMemory,
  callerProcess,
  LinuxNative,
  OSAction,
  OSArray,
  OSBoolean,
  OSDictionary,
  OSObject,
  OSString,
  kIOReturnBadArgument,
  kIOReturnBusy,
  kIOReturnNotPermitted,
  kIOReturnNotReady,
  kIOReturnSuccess,
  kIOReturnUnsupported,
  toOSDictionary,
  IODataQueueDispatchSource,
  type IODataQueueRing,
  type IOKernelService,
  type IOKernelServiceContext,
  type OSValue,
} from '@driverkit/driverkit';
import { formatMAC, kEthernetHeaderLength, kEthernetVLANTagLength, kIOUserNetworkFamilyEntitlement, kIOUserNetworkLinkStatusActive } from '../NetworkingDriverKitConstants';
import { PacketPoolLayout } from '../packet/PacketPoolLayout';
import type { IOUserNetworkPacketQueueType } from '../IOUserNetworkPacketQueue';
import { TapInterface, type TapState } from './TapInterface';

const QUEUE_TYPES: readonly IOUserNetworkPacketQueueType[] = ['RxSubmission', 'RxCompletion', 'TxSubmission', 'TxCompletion'];
const EAGAIN = -11;
// Frames read from the TAP per poll wakeup: enough to amortise the wakeup, few enough to interleave RX.
const TX_BATCH = 256;
const WATCH_MS = 100;
// Where a packet is, as the host tracks it (the driver's word is never taken for it).
const FREE = 0;
const AT_DRIVER_RX = 1;
const AT_DRIVER_TX = 2;

/** What the stack tells the driver, in order (IOUserNetworkEthernet turns each into its override call). */
export type EthernetKernelEvent =
  | { kind: 'enable'; value: boolean }
  | { kind: 'mac'; address: string }
  | { kind: 'mtu'; value: number }
  | { kind: 'promiscuous'; value: boolean }
  | { kind: 'allMulticast'; value: boolean }
  | { kind: 'multicast'; addresses: string[] };

/** Counters of one interface's data path in the host. */
export interface EthernetKernelStatistics {
  /** Frames the kernel sent that went to the driver (TX submission). */
  txSubmitted: number;
  /** Frames the driver received that went to the kernel (written to the TAP). */
  rxDelivered: number;
  /** Received frames dropped: malformed (runt, oversized, out of the buffer) or the TAP refused them. */
  rxDropped: number;
  /** Queue entries naming a packet the driver did not hold (a driver bug; the entry is ignored). */
  protocolErrors: number;
}

/**
 * The kernel half of an `IOUserNetworkEthernet` (what IOSkywalkFamily is on macOS): on
 * `RegisterEthernetInterface` it maps the driver's packet pool and the four queues, creates the TAP
 * interface the driver stands behind, and moves frames: the TAP's output into TX submission packets,
 * RX completion packets into the TAP, recycling packets by index. It follows the interface's state
 * (up/down, MTU, promiscuous, multicast list) and queues each change for the driver. It owns the TAP,
 * so the interface goes when the driver stops, crashes or is killed.
 */
export class EthernetInterfaceKernel extends OSObject implements IOKernelService {
  readonly #context: IOKernelServiceContext;
  readonly #queue = IODispatchQueue.Create('EthernetInterfaceKernel');
  #tap: TapInterface | null = null;
  #pool: IOSharedMemory | null = null;
  #layout: PacketPoolLayout | null = null;
  #freeRing: IODataQueueRing | null = null;
  #sources = new Map<IOUserNetworkPacketQueueType, IODataQueueDispatchSource>();
  #descriptors: DataView | null = null;
  /** Each packet's buffer address in this process, computed once: no BigInt per frame. */
  #addresses: bigint[] = [];
  /** The same plus the TX headroom, where frames read from the TAP go. */
  #txAddresses: bigint[] = [];
  #owner = new Uint8Array(0);
  #free: Int32Array = new Int32Array(0);
  #freeCount = 0;
  #rxTarget = 0;
  #rxOutstanding = 0;
  #headroom = 0;
  #tailroom = 0;
  #maxMTU = 1500;
  #wake = -1;
  #reading = false;
  #starved = false;
  #pendingTx = -1;
  #retry: NodeJS.Timeout | null = null;
  #watch: NodeJS.Timeout | null = null;
  #last: TapState | null = null;
  #events: EthernetKernelEvent[] = [];
  #waiter: ((closed: boolean) => void) | null = null;
  #closed = false;
  #unpublish: (() => void) | null = null;
  readonly #scratch = new Uint8Array(4);
  readonly #scratchView = new DataView(this.#scratch.buffer);
  readonly stats: EthernetKernelStatistics = { txSubmitted: 0, rxDelivered: 0, rxDropped: 0, protocolErrors: 0 };

  constructor(context: IOKernelServiceContext) {
    super();
    this.#context = context;
  }

  /** The TAP's name once registered. */
  get interfaceName(): string | null {
    return this.#tap?.name ?? null;
  }

  async handleRemoteCall(method: string, args: OSDictionary): Promise<OSDictionary | null> {
    const a = new IORemoteArguments(args, `IOUserNetworkEthernet.${method}`);
    switch (method) {
      case 'registerEthernetInterface':
        return this.#register(a);
      case 'reportLinkStatus': {
        const tap = this.#registered(method);
        tap.setCarrier(a.number('status', 0xffff_ffff) === kIOUserNetworkLinkStatusActive);
        return null;
      }
      case 'setMTU': {
        const mtu = a.number('mtu', 65535);
        if (mtu < 68 || mtu > this.#maxMTU) throw new IOReturnError(kIOReturnBadArgument, `IOUserNetworkEthernet.setMTU: ${mtu} is outside 68–${this.#maxMTU} (the driver's GetMaxTransferUnit)`);
        await this.#registered(method).setMTU(mtu);
        // The driver asked for it: it is not news to send back.
        if (this.#last) this.#last.mtu = mtu;
        return null;
      }
      case 'setMAC': {
        const mac = a.requiredData('mac', 6);
        if (mac.length !== 6 || mac[0]! & 1) throw new IOReturnError(kIOReturnBadArgument, 'IOUserNetworkEthernet.setMAC: a station address is 6 bytes and not multicast');
        await this.#registered(method).setMAC(mac);
        if (this.#last) this.#last.mac = formatMAC(mac);
        return null;
      }
      case 'nextEvents':
        return this.#nextEvents();
      case 'statistics':
        return toOSDictionary(this.stats as unknown as Record<string, OSValue>);
      case 'unregister':
        await this.serviceEnded();
        return null;
      default:
        throw new IOReturnError(kIOReturnUnsupported, `IOUserNetworkEthernet: the stack has no call ${method}`);
    }
  }

  #registered(method: string): TapInterface {
    if (!this.#tap) throw new IOReturnError(kIOReturnNotReady, `IOUserNetworkEthernet.${method}: call RegisterEthernetInterface first`);
    return this.#tap;
  }

  async #register(a: IORemoteArguments): Promise<OSDictionary> {
    if (this.#closed) throw new IOReturnError(kIOReturnNotReady, 'RegisterEthernetInterface: the service has stopped');
    if (this.#tap) throw new IOReturnError(kIOReturnBusy, `RegisterEthernetInterface: already registered as ${this.#tap.name}`);
    if (!(this.#context.entitlements.getObject(kIOUserNetworkFamilyEntitlement) instanceof OSBoolean && (this.#context.entitlements.getObject(kIOUserNetworkFamilyEntitlement) as OSBoolean).isTrue())) {
      throw new IOReturnError(kIOReturnNotPermitted, `RegisterEthernetInterface: the driver lacks the ${kIOUserNetworkFamilyEntitlement} entitlement`);
    }
    const mac = a.requiredData('mac', 6);
    if (mac.length !== 6) throw new IOReturnError(kIOReturnBadArgument, `RegisterEthernetInterface: a MAC address is 6 bytes, got ${mac.length}`);
    if (mac[0]! & 1) throw new IOReturnError(kIOReturnBadArgument, `RegisterEthernetInterface: ${formatMAC(mac)} is a multicast address, not a station address`);
    this.#headroom = a.number('headroom', 255);
    this.#tailroom = a.number('tailroom', 255);
    this.#maxMTU = a.number('maxMTU', 65535);
    // The pool and queues must be the calling driver process's own.
    const pool = IOSharedMemory.attach(a.string('pool'), { owner: callerProcess(this.#context.caller) });
    try {
      const { layout, freeRing } = PacketPoolLayout.read(pool.buffer);
      if (layout.bufferSize < this.#headroom + this.#tailroom + kEthernetHeaderLength + 64) {
        throw new IOReturnError(kIOReturnBadArgument, `RegisterEthernetInterface: ${layout.bufferSize}-byte packet buffers leave no room for frames after ${this.#headroom} bytes of headroom and ${this.#tailroom} of tailroom`);
      }
      this.#attachQueues(a.get('queues'), layout);
      this.#pool = pool;
      this.#layout = layout;
      this.#freeRing = freeRing;
      this.#descriptors = new DataView(pool.buffer, layout.descriptorOffset, layout.packetCount * PacketPoolLayout.DESCRIPTOR);
      const base = pool.address! + BigInt(layout.bufferOffset);
      this.#addresses = Array.from({ length: layout.packetCount }, (_, i) => base + BigInt(i * layout.bufferSize));
      this.#txAddresses = this.#addresses.map((a) => a + BigInt(this.#headroom));
    } catch (e) {
      this.#detachQueues();
      pool.close();
      throw e;
    }
    const name = this.#context.properties.getObject('BSD Name');
    const tap = TapInterface.open(name instanceof OSString ? name.getCStringNoCopy() : 'dk%d');
    this.#tap = tap;
    try {
      tap.setCarrier(false);
      await tap.setMAC(mac);
      if (this.#maxMTU < 1500) await tap.setMTU(this.#maxMTU);
    } catch (e) {
      await this.serviceEnded();
      throw e;
    }
    this.#startDataPath();
    // For observers (driverkit explore): the frames through the queues, read only when they ask.
    this.#unpublish = this.#context.counters?.(tap.name, () => ({ 'TX frames': this.stats.txSubmitted, 'RX frames': this.stats.rxDelivered, 'RX dropped': this.stats.rxDropped })) ?? null;
    this.#last = tap.state();
    this.#watch = setInterval(() => this.#follow(), WATCH_MS);
    this.#watch.unref();
    this.#context.log(`networking: ${this.#context.caller.key} registered ${tap.name} (${formatMAC(mac)}, ${this.#layout!.packetCount} packets of ${this.#layout!.bufferSize} bytes)`);
    return toOSDictionary({ interfaceName: tap.name });
  }

  #attachQueues(value: unknown, layout: PacketPoolLayout): void {
    if (!(value instanceof OSArray) || value.getCount() !== 4) throw new IOReturnError(kIOReturnBadArgument, 'RegisterEthernetInterface: exactly four queues are needed (one each of RxSubmission, RxCompletion, TxSubmission, TxCompletion)');
    for (const q of value) {
      const d = new IORemoteArguments(q as OSDictionary, 'RegisterEthernetInterface queue');
      if (!(q instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, 'RegisterEthernetInterface: a queue is described by a dictionary');
      const type = d.string('type', QUEUE_TYPES);
      if (this.#sources.has(type)) throw new IOReturnError(kIOReturnBadArgument, `RegisterEthernetInterface: two ${type} queues; exactly one of each type is needed`);
      this.#sources.set(type, IODataQueueDispatchSource.attachByName(d.string('memory'), this.#queue, callerProcess(this.#context.caller)));
    }
    this.#owner = new Uint8Array(layout.packetCount);
    this.#free = new Int32Array(layout.packetCount);
  }

  #detachQueues(): void {
    for (const s of this.#sources.values()) {
      s.Cancel();
      s.release();
    }
    this.#sources.clear();
  }

  #startDataPath(): void {
    const layout = this.#layout!;
    for (let i = layout.packetCount - 1; i >= 0; i--) this.#free[this.#freeCount++] = i;
    // Half the pool (at most what the queue holds) waits on RX submission for received frames; the rest carries TX.
    this.#rxTarget = Math.min(Math.floor(layout.packetCount / 2), this.#capacityOf('RxSubmission'));
    this.#refillRx();
    for (const [type, method] of [['RxCompletion', 'RxCompleted'], ['TxCompletion', 'TxCompleted']] as const) {
      const action = OSAction.Create(this, method);
      this.#sources.get(type)!.SetDataAvailableHandler(action);
      action.release();
    }
    this.#wake = LinuxNative.eventfd();
    this.#pollTap();
  }

  #capacityOf(type: IOUserNetworkPacketQueueType): number {
    // (capacity + 1) entries of 8 bytes were asked for; capacity of them fit.
    const md = this.#sources.get(type)!.CopyMemory();
    const n = Math.floor((md.sharedMemory.length - 128) / 8) - 1;
    md.release();
    return n;
  }

  #enqueue(type: IOUserNetworkPacketQueueType, index: number): boolean {
    this.#scratchView.setUint32(0, index, true);
    return this.#sources.get(type)!.Enqueue(4, this.#scratch) === kIOReturnSuccess;
  }

  /** The next index the driver put on `type`, or −1; indices out of the pool are counted and skipped. */
  #dequeue(type: IOUserNetworkPacketQueueType, expected: number): number {
    const source = this.#sources.get(type)!;
    while (source.DequeueInto(this.#scratch) === 4) {
      const index = this.#scratchView.getUint32(0, true);
      if (index < this.#owner.length && this.#owner[index] === expected) return index;
      this.stats.protocolErrors++;
    }
    return -1;
  }

  #takeFree(): number {
    if (this.#freeCount === 0) this.#reap();
    return this.#freeCount > 0 ? this.#free[--this.#freeCount]! : -1;
  }

  #putFree(index: number): void {
    this.#owner[index] = FREE;
    this.#free[this.#freeCount++] = index;
  }

  /** Takes back what the driver finished with: TX completions and packets it deallocated. */
  #reap(): void {
    for (let i = this.#dequeue('TxCompletion', AT_DRIVER_TX); i >= 0; i = this.#dequeue('TxCompletion', AT_DRIVER_TX)) this.#putFree(i);
    const ring = this.#freeRing!;
    while (ring.dequeueInto(this.#scratch) === 4) {
      const index = this.#scratchView.getUint32(0, true);
      const owner = this.#owner[index];
      if (owner === AT_DRIVER_TX || owner === AT_DRIVER_RX) {
        if (owner === AT_DRIVER_RX) this.#rxOutstanding--;
        this.#putFree(index);
      } else this.stats.protocolErrors++;
    }
    this.#refillRx();
  }

  #refillRx(): void {
    while (this.#rxOutstanding < this.#rxTarget && this.#freeCount > 0) {
      const index = this.#free[--this.#freeCount]!;
      this.#setDescriptor(index, 0, 0);
      this.#owner[index] = AT_DRIVER_RX;
      if (!this.#enqueue('RxSubmission', index)) {
        this.#putFree(index);
        return;
      }
      this.#rxOutstanding++;
    }
  }

  #setDescriptor(index: number, offset: number, length: number): void {
    const d = this.#descriptors!;
    const at = index * PacketPoolLayout.DESCRIPTOR;
    d.setUint32(at, length, true);
    d.setUint16(at + 4, offset, true);
    d.setUint8(at + 6, this.#headroom);
    d.setUint8(at + 7, length > 0 ? kEthernetHeaderLength : 0);
  }

  /** RX completion's DataAvailable: the driver's received frames go to the kernel. @internal (an OSAction target) */
  RxCompleted(): void {
    if (this.#closed) return;
    const tap = this.#tap!;
    const layout = this.#layout!;
    const d = this.#descriptors!;
    const maxFrame = Math.max(this.#last?.mtu ?? 1500, 1500) + kEthernetHeaderLength + kEthernetVLANTagLength;
    for (let index = this.#dequeue('RxCompletion', AT_DRIVER_RX); index >= 0; index = this.#dequeue('RxCompletion', AT_DRIVER_RX)) {
      const at = index * PacketPoolLayout.DESCRIPTOR;
      const length = d.getUint32(at, true);
      const offset = d.getUint16(at + 4, true);
      if (length < kEthernetHeaderLength || length > maxFrame || offset + length > layout.bufferSize) this.stats.rxDropped++;
      else if (LinuxNative.writeAt(tap.fd, offset === 0 ? this.#addresses[index]! : this.#addresses[index]! + BigInt(offset), length) === length) this.stats.rxDelivered++;
      else this.stats.rxDropped++;
      this.#rxOutstanding--;
      this.#putFree(index);
    }
    this.#refillRx();
  }

  /** TX completion's DataAvailable: packets come back; reading resumes if it waited for them. @internal (an OSAction target) */
  TxCompleted(): void {
    if (this.#closed) return;
    this.#reap();
    if (this.#starved) {
      this.#starved = false;
      if (this.#retry) clearTimeout(this.#retry);
      this.#retry = null;
      this.#readTap();
    }
  }

  /** Waits (on a threadpool thread, in poll) for the TAP to have frames, then reads a batch on this thread. */
  #pollTap(): void {
    if (this.#closed || this.#reading) return;
    this.#reading = true;
    LinuxNative.pollReadable([this.#tap!.fd, this.#wake]).then(
      (ready) => {
        this.#reading = false;
        if (this.#closed) return;
        if (ready.includes(this.#wake)) readSync(this.#wake, Buffer.alloc(8));
        if (ready.includes(this.#tap!.fd)) this.#queue.DispatchAsync(() => this.#readTap());
        else this.#pollTap();
      },
      () => {
        this.#reading = false;
      },
    );
  }

  #readTap(): void {
    if (this.#closed) return;
    const tap = this.#tap!;
    const layout = this.#layout!;
    const room = layout.bufferSize - this.#headroom - this.#tailroom;
    for (let n = 0; n < TX_BATCH; n++) {
      let index = this.#pendingTx;
      this.#pendingTx = -1;
      if (index < 0) {
        index = this.#takeFree();
        // No packet free: the driver holds them all; TX completion resumes reading (or, failing that, a timer).
        if (index < 0) {
          this.#starved = true;
          return this.#retryLater();
        }
        const got = LinuxNative.readAt(tap.fd, this.#txAddresses[index]!, room);
        if (got < 0 || got === 0) {
          this.#putFree(index);
          if (got === EAGAIN || got === 0) break;
          // The interface is going (EBADFD) or the read failed: stop reading until it comes back.
          return this.#retryLater();
        }
        this.#setDescriptor(index, this.#headroom, got);
      }
      this.#owner[index] = AT_DRIVER_TX;
      if (!this.#enqueue('TxSubmission', index)) {
        // The driver has not kept up: hold this frame, leave the rest in the kernel's queue, try again.
        this.#owner[index] = FREE;
        this.#pendingTx = index;
        return this.#retryLater();
      }
      this.stats.txSubmitted++;
    }
    this.#pollTap();
  }

  #retryLater(): void {
    if (this.#retry || this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.#queue.DispatchAsync(() => this.#readTap());
    }, 1);
  }

  /** Compares the interface with what the driver was last told, and queues the differences. */
  #follow(): void {
    if (this.#closed || !this.#tap) return;
    const now = this.#tap.state();
    const last = this.#last;
    if (!now || !last) return;
    if (now.mtu !== last.mtu) {
      if (now.mtu > this.#maxMTU) {
        // The hardware cannot: put the old MTU back rather than tell the driver something it refused.
        this.#context.log(`networking: ${this.#tap.name}: MTU ${now.mtu} is above the driver's maximum ${this.#maxMTU}; restoring ${last.mtu}`);
        void this.#tap.setMTU(last.mtu).catch(() => {});
        now.mtu = last.mtu;
      } else this.#push({ kind: 'mtu', value: now.mtu });
    }
    if (now.promiscuous !== last.promiscuous) this.#push({ kind: 'promiscuous', value: now.promiscuous });
    if (now.allMulticast !== last.allMulticast) this.#push({ kind: 'allMulticast', value: now.allMulticast });
    if (now.multicast.join() !== last.multicast.join()) this.#push({ kind: 'multicast', addresses: now.multicast });
    if (now.mac !== last.mac) this.#push({ kind: 'mac', address: now.mac });
    if (now.up !== last.up) this.#push({ kind: 'enable', value: now.up });
    this.#last = now;
  }

  #push(e: EthernetKernelEvent): void {
    this.#events.push(e);
    const w = this.#waiter;
    this.#waiter = null;
    w?.(false);
  }

  async #nextEvents(): Promise<OSDictionary> {
    if (this.#events.length === 0 && !this.#closed) {
      if (this.#waiter) throw new IOReturnError(kIOReturnBusy, 'IOUserNetworkEthernet.nextEvents: another call is already waiting');
      await new Promise<boolean>((resolve) => (this.#waiter = resolve));
    }
    const events = this.#events.splice(0);
    return toOSDictionary({ closed: this.#closed, events: events as unknown as OSValue[] });
  }

  async serviceEnded(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unpublish?.();
    this.#unpublish = null;
    if (this.#watch) clearInterval(this.#watch);
    if (this.#retry) clearTimeout(this.#retry);
    const w = this.#waiter;
    this.#waiter = null;
    w?.(true);
    if (this.#wake >= 0) {
      // Ends the poll waiting on the TAP (closing a descriptor does not wake a thread blocked on it).
      writeSync(this.#wake, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    }
    this.#detachQueues();
    const name = this.#tap?.name;
    this.#tap?.close();
    this.#tap = null;
    this.#pool?.close();
    this.#pool = null;
    this.#queue.Cancel();
    if (name) this.#context.log(`networking: ${name} removed (${this.#context.caller.key})`);
    // The eventfd closes once the poll thread has seen it.
    const wake = this.#wake;
    if (wake >= 0) {
      setTimeout(() => {
        try {
          closeSync(wake);
        } catch {
          // already closed
        }
      }, 50).unref();
    }
  }
}
