import {
  IOReturnError,
  IOService,
  IOUserServerRuntime,
  OSArray,
  OSDictionary,
  OSNumber,
  OSString,
  kIOReturnBadArgument,
  kIOReturnExclusiveAccess,
  kIOReturnNotFound,
  kIOReturnNotOpen,
  kIOReturnUnsupported,
  type IODMADevice,
  type IODMAMapper,
  type IOInterruptLine,
  type IOInterruptProvider,
  type IOLinkedProvider,
  type IOMemoryDescriptor,
  type IOProviderLink,
  type IORemoteCaller,
  type IORemoteCallTarget,
} from '@driverkit/driverkit';
import { endianness } from 'node:os';
import type { PCIBARAccess, PCIDeviceHandle, PCIFunctionAddress } from './backend/PCIBackend';
import { PCIDeviceOpeners } from './backend/PCIDeviceOpeners';
import { checkConfigAccess, findCapability } from './config/PCIConfigSpace';
import {
  kIOInterruptTypePCIMessaged,
  kIOPCIAccessLatencyTolerantHint,
  kIOPCIDeviceResetTypeFunctionReset,
  kIOPCIMSICapability,
  kIOPCIPCIExpressCapability,
  kIOPCIPowerManagementCapability,
  kPCIAllOnes16,
  kPCIAllOnes32,
  kPCIAllOnes64,
  kPCIAllOnes8,
  kPCIMemoryRangeExpansionROM,
  kPCIPMCSPowerStateD0,
  kPCIPMCSPowerStateD3,
  kPCIPMCSPowerStateMask,
} from './PCIDriverKitConstants';

/** The nub property naming the backend a function is opened through ("sysfs", "virtual", …). */
export const kIOPCIBackendKey = 'IOPCIBackend';
/** The nub property with what that backend needs to open the function (a dictionary). */
export const kIOPCILocatorKey = 'IOPCILocator';
/** The nub property listing its BARs: dictionaries of IOPCIBARIndex, IOPCIBARType, IOPCIBARSize. */
export const kIOPCIDeviceMemoryKey = 'IOPCIDeviceMemory';

/** What `GetBARInfo` returns in Apple's out-parameters. */
export interface IOPCIBARInfo {
  memoryIndex: number;
  barSize: bigint;
  barType: number;
}

const littleEndian = endianness() === 'LE';

/**
 * Typed arrays over a BAR with a direct view. Their element loads and stores are single naturally
 * aligned accesses of their width, which MMIO needs (a DataView read of a VFIO-mapped register was
 * seen to return 0 where a Uint32Array read gave the register), and the fastest access the engine
 * has. Only on a little-endian CPU, since PCI registers are little-endian.
 */
class FastBAR {
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly u64: BigUint64Array;
  readonly length: number;

  constructor(view: DataView) {
    this.length = view.byteLength;
    this.u8 = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    this.u16 = new Uint16Array(view.buffer, view.byteOffset, view.byteLength >> 1);
    this.u32 = new Uint32Array(view.buffer, view.byteOffset, view.byteLength >> 2);
    this.u64 = new BigUint64Array(view.buffer, view.byteOffset, view.byteLength >> 3);
  }
}

/** No BAR: every fast-path bound check fails. */
const EMPTY = new FastBAR(new DataView(new ArrayBuffer(0)));

interface Session {
  client: IOService;
  handle: PCIDeviceHandle;
  unlisten: () => void;
}

const callerKey = (s: IOService) => `local:${s.GetRegistryEntryID().toString(16)}`;

/**
 * Mirrors PCIDriverKit's `IOPCIDevice`: one PCI function. The family publishes it in the host with
 * Apple's properties (vendor-id, device-id, class-code, …); a driver matched on it opens it, and from
 * then on reads and writes its config space and BARs, takes its interrupts and gives it DMA addresses
 * — all in the driver's own process, through the backend the nub names (sysfs for this machine's
 * devices, read only; a virtual model; VFIO on a real kernel). Only Open and Close go to the host,
 * which lets one client at a time have the function.
 *
 * Apple's semantics kept: reads of a function that is gone return all ones; there is no bus-master
 * helper (set `kIOPCICommandBusLead` in the command register yourself); interrupt index 0 is INTx and
 * 1… are MSI vectors. Where Apple returns an error code, these methods throw an IOReturnError with
 * it; accesses outside config space or a BAR, or unaligned, throw rather than read garbage.
 */
export class IOPCIDevice extends IOService implements IORemoteCallTarget, IOLinkedProvider, IOInterruptProvider, IODMADevice {
  #link: IOProviderLink | null = null;
  /** Host side: who has the function open (a driver process's key, or a local client's). */
  #owner: { key: string; name: string } | null = null;
  /** This process's open session, and the client whose Open is under way. */
  #session: Session | null = null;
  #opening: IOService | null = null;
  /** Driver processes already told to let go when they end. */
  readonly #callers = new WeakSet<IORemoteCaller>();
  #saved: Uint8Array | null = null;
  /** Set once the driver chose its interrupts; until then an MSI index configures MSI on first use. */
  #interruptsConfigured = false;
  /**
   * Per memory index, the view straight over a BAR that has one, and its length: MemoryRead/Write's
   * fast path, emptied when the session ends or the function starts to go (so reads then take the
   * checked path, which gives all ones).
   */
  #fast: Array<FastBAR | null> = [];
  /** The memory index whose arrays the hot fields hold (-1 for none) and those arrays. */
  #hot = -1;
  #hot8: Uint8Array = EMPTY.u8;
  #hot16: Uint16Array = EMPTY.u16;
  #hot32: Uint32Array = EMPTY.u32;
  #hot64: BigUint64Array = EMPTY.u64;

  /** @internal A driver process's IOPCIDevice reaches the host's through this link (Open and Close only). */
  setProviderLink(link: IOProviderLink): void {
    this.#link = link;
  }

  /** @internal Open and Close from driver processes: who owns the function. */
  async handleRemoteCall(method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
    const name = args.getObject('client');
    if (method === 'open') {
      this.#claim(caller.key, name instanceof OSString ? name.getCStringNoCopy() : caller.key);
      if (!this.#callers.has(caller)) {
        this.#callers.add(caller);
        caller.onGone(() => this.#release(caller.key));
      }
      return null;
    }
    if (method === 'close') {
      this.#release(caller.key);
      return null;
    }
    throw new IOReturnError(kIOReturnUnsupported, `IOPCIDevice has no remote method ${method}`);
  }

  #claim(key: string, name: string): void {
    if (this.#owner && this.#owner.key !== key) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()} is open by ${this.#owner.name}`);
    this.#owner = { key, name };
  }

  #release(key: string): void {
    if (this.#owner?.key === key) this.#owner = null;
  }

  // ---- session ------------------------------------------------------------------------------

  /**
   * Mirrors `IOPCIDevice::Open(forClient, options)`: claims the function for `forClient` (one client
   * at a time: another gets kIOReturnExclusiveAccess) and opens it through its backend in this
   * process, mapping its BARs. A client that terminates without Close lets go.
   */
  async Open(forClient: IOService, _options: number = 0): Promise<void> {
    if (this.#session?.client === forClient) return;
    const holder = this.#session?.client ?? this.#opening;
    if (holder) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()} is open by ${holder.getName()}`);
    this.#opening = forClient;
    try {
      await this.#openFor(forClient);
    } finally {
      this.#opening = null;
    }
  }

  async #openFor(forClient: IOService): Promise<void> {
    const key = callerKey(forClient);
    if (this.#link) {
      const args = OSDictionary.withCapacity(1);
      args.setObject('client', forClient.getName());
      try {
        await this.#link.call('open', args);
      } finally {
        args.release();
      }
    } else {
      this.#claim(key, forClient.getName());
    }
    let handle: PCIDeviceHandle;
    try {
      const locator = this.getProperty(kIOPCILocatorKey);
      handle = await PCIDeviceOpeners.get(this.#string(kIOPCIBackendKey)).open(locator instanceof OSDictionary ? locator : OSDictionary.withCapacity(0), this.#address());
    } catch (e) {
      await this.#letGo(key);
      throw e;
    }
    const registry = forClient.getRegistry();
    const unlisten = registry?.listen({ terminated: (e) => e === forClient && void this.Close(forClient) }) ?? (() => {});
    this.#session = { client: forClient, handle, unlisten };
    this.#setFast(littleEndian ? handle.bars.map((b) => (b.view ? new FastBAR(b.view) : null)) : []);
    this.#interruptsConfigured = false;
  }

  /** Mirrors `IOPCIDevice::Close(forClient, options)`: ends the session (interrupt lines stop, mappings go). */
  async Close(forClient: IOService, _options: number = 0): Promise<void> {
    const s = this.#session;
    if (!s || s.client !== forClient) return;
    this.#session = null;
    this.#setFast([]);
    s.unlisten();
    s.handle.close();
    await this.#letGo(callerKey(forClient));
  }

  async #letGo(key: string): Promise<void> {
    if (!this.#link) return this.#release(key);
    // The host may already be gone (it then released the function with this process).
    await this.#link.call('close', OSDictionary.withCapacity(0)).catch(() => {});
  }

  #open(what: string): PCIDeviceHandle {
    if (!this.#session) throw new IOReturnError(kIOReturnNotOpen, `${what}: ${this.getName()} is not open (call Open first)`);
    return this.#session.handle;
  }

  /** True when reads must give all ones: the function is gone, or its nub is terminating. */
  #gone(h: PCIDeviceHandle): boolean {
    return h.isGone() || this.isInactive();
  }

  /** The function is going: accesses leave the fast path, so they see it gone. */
  override Terminate(options: bigint | number = 0n): Promise<void> {
    this.#setFast([]);
    return super.Terminate(options);
  }

  // ---- configuration space ------------------------------------------------------------------

  /** Mirrors `ConfigurationRead32(offset, &data)`: all ones when the function is gone. */
  ConfigurationRead32(offset: number | bigint): number {
    const h = this.#config(offset, 4, 'ConfigurationRead32');
    return this.#gone(h) ? kPCIAllOnes32 : h.read32(Number(offset)) >>> 0;
  }

  /** Mirrors `ConfigurationRead16(offset, &data)`. */
  ConfigurationRead16(offset: number | bigint): number {
    const h = this.#config(offset, 2, 'ConfigurationRead16');
    return this.#gone(h) ? kPCIAllOnes16 : h.read16(Number(offset));
  }

  /** Mirrors `ConfigurationRead8(offset, &data)`. */
  ConfigurationRead8(offset: number | bigint): number {
    const h = this.#config(offset, 1, 'ConfigurationRead8');
    return this.#gone(h) ? kPCIAllOnes8 : h.read8(Number(offset));
  }

  /** Mirrors `ConfigurationWrite32(offset, data)`: dropped when the function is gone. */
  ConfigurationWrite32(offset: number | bigint, data: number): void {
    const h = this.#config(offset, 4, 'ConfigurationWrite32');
    if (!this.#gone(h)) h.configWrite32(Number(offset), data >>> 0);
  }

  /** Mirrors `ConfigurationWrite16(offset, data)`. */
  ConfigurationWrite16(offset: number | bigint, data: number): void {
    const h = this.#config(offset, 2, 'ConfigurationWrite16');
    if (!this.#gone(h)) h.configWrite16(Number(offset), data & 0xffff);
  }

  /** Mirrors `ConfigurationWrite8(offset, data)`. */
  ConfigurationWrite8(offset: number | bigint, data: number): void {
    const h = this.#config(offset, 1, 'ConfigurationWrite8');
    if (!this.#gone(h)) h.configWrite8(Number(offset), data & 0xff);
  }

  #config(offset: number | bigint, width: 1 | 2 | 4, what: string): PCIDeviceHandle {
    const h = this.#open(what);
    checkConfigAccess(Number(offset), width, h.configLength, `${what} on ${this.getName()}`);
    return h;
  }

  /**
   * Mirrors `FindPCICapability(capabilityID, searchOffset, &foundOffset)`: the offset of the first
   * capability with this ID after `searchOffset` (0: from the start); a negated ID (`-0xB`) searches
   * the extended list. kIOReturnNotFound when there is none; kIOReturnDeviceError when the list is
   * malformed (it loops, or points outside config space).
   */
  FindPCICapability(capabilityID: number, searchOffset: number | bigint = 0): number {
    const h = this.#open('FindPCICapability');
    const found = findCapability(h, capabilityID >>> 0, Number(searchOffset));
    if (found === 0) {
      const id = capabilityID | 0;
      throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no ${id < 0 ? `extended capability 0x${(-id).toString(16)}` : `capability 0x${id.toString(16)}`}${searchOffset ? ` after 0x${Number(searchOffset).toString(16)}` : ''}`);
    }
    return found;
  }

  /** Mirrors `GetBusDeviceFunction(&bus, &device, &function)`. */
  GetBusDeviceFunction(): { bus: number; device: number; function: number } {
    const { bus, device, function: fn } = this.#address();
    return { bus, device, function: fn };
  }

  #address(): PCIFunctionAddress {
    const m = /^([0-9a-f]+):([0-9a-f]+):([0-9a-f]+):([0-7])$/.exec(this.#string('IOPCIAddress'));
    if (!m) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no IOPCIAddress`);
    return { domain: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), device: parseInt(m[3]!, 16), function: parseInt(m[4]!, 16) };
  }

  #string(key: string): string {
    const v = this.getProperty(key);
    if (!(v instanceof OSString)) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no ${key} property`);
    return v.getCStringNoCopy();
  }

  // ---- BARs ---------------------------------------------------------------------------------

  /**
   * Mirrors `GetBARInfo(barIndex, &memoryIndex, &barSize, &barType)`: which memory index
   * (MemoryRead/Write's first argument) a BAR is, its size and its `kPCIBARType…`.
   */
  GetBARInfo(barIndex: number): IOPCIBARInfo {
    if (!Number.isInteger(barIndex) || barIndex < 0 || barIndex > kPCIMemoryRangeExpansionROM) throw new IOReturnError(kIOReturnBadArgument, `GetBARInfo: BAR index ${barIndex} is not 0–6`);
    const memory = this.getProperty(kIOPCIDeviceMemoryKey);
    const entries = memory instanceof OSArray ? [...memory].filter((e): e is OSDictionary => e instanceof OSDictionary) : [];
    const num = (d: OSDictionary, k: string) => (d.getObject(k) as OSNumber | null)?.unsigned64BitValue() ?? 0n;
    const memoryIndex = entries.findIndex((e) => Number(num(e, 'IOPCIBARIndex')) === barIndex);
    if (memoryIndex < 0) throw new IOReturnError(kIOReturnNotFound, `${this.getName()} has no BAR${barIndex}`);
    return { memoryIndex, barSize: num(entries[memoryIndex]!, 'IOPCIBARSize'), barType: Number(num(entries[memoryIndex]!, 'IOPCIBARType')) };
  }

  #bar(memoryIndex: number, offset: number | bigint, width: 1 | 2 | 4 | 8, what: string): { h: PCIDeviceHandle; bar: PCIBARAccess; at: number } {
    const h = this.#open(what);
    const bar = h.bars[memoryIndex];
    if (!bar) throw new IOReturnError(kIOReturnBadArgument, `${what}: ${this.getName()} has no memory index ${memoryIndex} (it has ${h.bars.length})`);
    const at = Number(offset);
    if (!Number.isInteger(at) || at < 0 || BigInt(at + width) > bar.size) throw new IOReturnError(kIOReturnBadArgument, `${what}: offset 0x${at.toString(16)} (${width} bytes) is outside memory index ${memoryIndex}'s 0x${bar.size.toString(16)} bytes`);
    if (at % width !== 0) throw new IOReturnError(kIOReturnBadArgument, `${what}: offset 0x${at.toString(16)} is not aligned to ${width} bytes`);
    return { h, bar, at };
  }

  #setFast(bars: Array<FastBAR | null>): void {
    this.#fast = bars;
    this.#hot = -1;
    ({ u8: this.#hot8, u16: this.#hot16, u32: this.#hot32, u64: this.#hot64 } = EMPTY);
  }

  /** Makes `memoryIndex` the hot BAR when it has a fast path and is not hot yet; true if it did. */
  #warm(memoryIndex: number, options: number): boolean {
    const bar = options === 0 && typeof memoryIndex === 'number' && memoryIndex !== this.#hot ? this.#fast[memoryIndex] : undefined;
    if (!bar) return false;
    this.#hot = memoryIndex;
    ({ u8: this.#hot8, u16: this.#hot16, u32: this.#hot32, u64: this.#hot64 } = bar);
    return true;
  }

  // MemoryRead/Write take the fast path when the BAR is the hot one (the last memory index used that
  // has typed arrays in an open session), the offset is an aligned integer inside it and no access
  // hint is given; a miss on another such BAR makes it hot and tries again, anything else takes the
  // checked path (which throws, or reads all ones). The hot BAR's arrays sit in fields of their own
  // and the test is written out in each accessor: a per-index lookup, or a shared helper, each cost
  // as much as the access itself.

  #read(memoryIndex: number, offset: number | bigint, width: 1 | 2 | 4 | 8, what: string): number | bigint {
    const { h, bar, at } = this.#bar(memoryIndex, offset, width, what);
    if (this.#gone(h)) return width === 8 ? kPCIAllOnes64 : width === 4 ? kPCIAllOnes32 : width === 2 ? kPCIAllOnes16 : kPCIAllOnes8;
    return bar.read(at, width);
  }

  #write(memoryIndex: number, offset: number | bigint, width: 1 | 2 | 4 | 8, value: number | bigint, what: string): void {
    const { h, bar, at } = this.#bar(memoryIndex, offset, width, what);
    if (!this.#gone(h)) bar.write(at, width, value);
  }

  /** Mirrors `MemoryRead64(memoryIndex, offset, &data, options)`: all ones when the function is gone. */
  MemoryRead64(memoryIndex: number, offset: number | bigint, options = 0): bigint {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot64;
      const i = offset >>> 3;
      if (i << 3 === offset && i < u.length) return u[i]!;
    }
    return this.#warm(memoryIndex, options) ? this.MemoryRead64(memoryIndex, offset) : BigInt(this.#read(memoryIndex, offset, 8, 'MemoryRead64'));
  }

  /** Mirrors `MemoryRead32(memoryIndex, offset, &data, options)`. */
  MemoryRead32(memoryIndex: number, offset: number | bigint, options = 0): number {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot32;
      const i = offset >>> 2;
      if (i << 2 === offset && i < u.length) return u[i]!;
    }
    return this.#warm(memoryIndex, options) ? this.MemoryRead32(memoryIndex, offset) : Number(this.#read(memoryIndex, offset, 4, 'MemoryRead32')) >>> 0;
  }

  /** Mirrors `MemoryRead16(memoryIndex, offset, &data, options)`. */
  MemoryRead16(memoryIndex: number, offset: number | bigint, options = 0): number {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot16;
      const i = offset >>> 1;
      if (i << 1 === offset && i < u.length) return u[i]!;
    }
    return this.#warm(memoryIndex, options) ? this.MemoryRead16(memoryIndex, offset) : Number(this.#read(memoryIndex, offset, 2, 'MemoryRead16'));
  }

  /** Mirrors `MemoryRead8(memoryIndex, offset, &data, options)`. */
  MemoryRead8(memoryIndex: number, offset: number | bigint, options = 0): number {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot8;
      if (offset >>> 0 === offset && offset < u.length) return u[offset]!;
    }
    return this.#warm(memoryIndex, options) ? this.MemoryRead8(memoryIndex, offset) : Number(this.#read(memoryIndex, offset, 1, 'MemoryRead8'));
  }

  /** Mirrors `MemoryWrite64(memoryIndex, offset, data, options)`: dropped when the function is gone. */
  MemoryWrite64(memoryIndex: number, offset: number | bigint, data: bigint | number, options = 0): void {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot64;
      const i = offset >>> 3;
      if (i << 3 === offset && i < u.length) {
        u[i] = BigInt.asUintN(64, BigInt(data));
        return;
      }
    }
    if (this.#warm(memoryIndex, options)) this.MemoryWrite64(memoryIndex, offset, data);
    else this.#write(memoryIndex, offset, 8, BigInt.asUintN(64, BigInt(data)), 'MemoryWrite64');
  }

  /** Mirrors `MemoryWrite32(memoryIndex, offset, data, options)`. */
  MemoryWrite32(memoryIndex: number, offset: number | bigint, data: number, options = 0): void {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot32;
      const i = offset >>> 2;
      if (i << 2 === offset && i < u.length) {
        u[i] = data;
        return;
      }
    }
    if (this.#warm(memoryIndex, options)) this.MemoryWrite32(memoryIndex, offset, data);
    else this.#write(memoryIndex, offset, 4, data >>> 0, 'MemoryWrite32');
  }

  /** Mirrors `MemoryWrite16(memoryIndex, offset, data, options)`. */
  MemoryWrite16(memoryIndex: number, offset: number | bigint, data: number, options = 0): void {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot16;
      const i = offset >>> 1;
      if (i << 1 === offset && i < u.length) {
        u[i] = data;
        return;
      }
    }
    if (this.#warm(memoryIndex, options)) this.MemoryWrite16(memoryIndex, offset, data);
    else this.#write(memoryIndex, offset, 2, data & 0xffff, 'MemoryWrite16');
  }

  /** Mirrors `MemoryWrite8(memoryIndex, offset, data, options)`. */
  MemoryWrite8(memoryIndex: number, offset: number | bigint, data: number, options = 0): void {
    if (memoryIndex === this.#hot && options === 0 && typeof offset === 'number') {
      const u = this.#hot8;
      if (offset >>> 0 === offset && offset < u.length) {
        u[offset] = data;
        return;
      }
    }
    if (this.#warm(memoryIndex, options)) this.MemoryWrite8(memoryIndex, offset, data);
    else this.#write(memoryIndex, offset, 1, data & 0xff, 'MemoryWrite8');
  }

  /**
   * Mirrors `_CopyDeviceMemoryWithIndex(memoryIndex, &memory, forClient)`: the BAR as a memory
   * descriptor, for `CreateMapping` and a DataView straight over it. Only BARs without side effects
   * hidden from the CPU can be mapped (VFIO's, a model's plain-memory BAR); a register BAR of a model
   * is reached through MemoryRead/MemoryWrite only (kIOReturnUnsupported).
   */
  _CopyDeviceMemoryWithIndex(memoryIndex: number, forClient: IOService): IOMemoryDescriptor {
    if (this.#session?.client !== forClient) throw new IOReturnError(kIOReturnNotOpen, `_CopyDeviceMemoryWithIndex: ${this.getName()} is not open by ${forClient.getName()}`);
    const { bar } = this.#bar(memoryIndex, 0, 1, '_CopyDeviceMemoryWithIndex');
    const md = bar.copyMemoryDescriptor();
    if (!md) throw new IOReturnError(kIOReturnUnsupported, `memory index ${memoryIndex} of ${this.getName()} is registers whose accesses have side effects; use MemoryRead/MemoryWrite`);
    return md;
  }

  // ---- interrupts ---------------------------------------------------------------------------

  /**
   * Mirrors `ConfigureInterrupts(interruptType, numRequired, numRequested, options)`: allocates
   * INTx (kIOInterruptTypeLevel, index 0) or `numRequired`…`numRequested` MSI / MSI-X vectors
   * (indexes 1…). kIOReturnUnsupported when the function lacks the kind, kIOReturnNoResources when
   * it offers fewer than required.
   */
  ConfigureInterrupts(interruptType: number, numRequired = 1, numRequested = 1, _options = 0): void {
    this.#open('ConfigureInterrupts').configureInterrupts(interruptType, numRequired, numRequested);
    this.#interruptsConfigured = true;
  }

  /**
   * @internal For IOInterruptDispatchSource.Create(this, index, queue). As in IOPCIFamily, an MSI
   * index can be used without ConfigureInterrupts: the function's MSI vectors are then set up on
   * first use.
   */
  copyInterruptLine(index: number): IOInterruptLine | null {
    const h = this.#session?.handle;
    if (!h) return null;
    const line = h.interruptLine(index);
    if (line || index === 0 || this.#interruptsConfigured) return line;
    if (findCapability(h, kIOPCIMSICapability) === 0) return null;
    try {
      h.configureInterrupts(kIOInterruptTypePCIMessaged, index, 32);
    } catch {
      return null;
    }
    return h.interruptLine(index);
  }

  // ---- DMA ----------------------------------------------------------------------------------

  /** For IODMACommand.Create(this, …): the function's mapper (its IOMMU), or the default for none. */
  CopyDMAMapper(): IODMAMapper | null {
    return this.#open('IODMACommand.Create').dmaMapper();
  }

  // ---- power, state and reset ---------------------------------------------------------------

  /**
   * Mirrors `HasPCIPowerManagement(state)`: true when the function has the PM capability and, when
   * `state` names PMC bits (`kPCIPMCPMESupportFromD3Cold`, `kPCIPMCD1Support`, …), supports them.
   */
  HasPCIPowerManagement(state: number | bigint = 0): boolean {
    const h = this.#open('HasPCIPowerManagement');
    const pm = findCapability(h, kIOPCIPowerManagementCapability);
    if (pm === 0) return false;
    const want = Number(state);
    return want === 0 || (h.read16(pm + 2) & want) === want;
  }

  /**
   * Mirrors `EnablePCIPowerManagement(state)`: puts the function in `kPCIPMCSPowerStateD0…D3`
   * (0xffffffff: D3). kIOReturnUnsupported without the PM capability.
   */
  EnablePCIPowerManagement(state: number | bigint = 0xffffffff): void {
    const h = this.#open('EnablePCIPowerManagement');
    const pm = findCapability(h, kIOPCIPowerManagementCapability);
    if (pm === 0) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} has no PCI power management capability`);
    const s = Number(state) === 0xffffffff ? kPCIPMCSPowerStateD3 : Number(state) & kPCIPMCSPowerStateMask;
    if (Number(state) !== 0xffffffff && Number(state) > kPCIPMCSPowerStateD3) throw new IOReturnError(kIOReturnBadArgument, `EnablePCIPowerManagement: state ${state} is not D0–D3`);
    h.configWrite16(pm + 4, (h.read16(pm + 4) & ~kPCIPMCSPowerStateMask & ~0x8000) | (s === kPCIPMCSPowerStateD0 ? 0 : s));
  }

  /** Mirrors `SaveDeviceState(options)`: keeps the 256-byte header and capabilities. */
  SaveDeviceState(_options = 0): void {
    const h = this.#open('SaveDeviceState');
    const saved = new Uint8Array(256);
    const v = new DataView(saved.buffer);
    for (let o = 0; o < 256; o += 4) v.setUint32(o, h.read32(o) >>> 0, true);
    this.#saved = saved;
  }

  /** Mirrors `RestoreDeviceState(options)`: writes back what SaveDeviceState kept (the command register last). */
  RestoreDeviceState(_options = 0): void {
    const h = this.#open('RestoreDeviceState');
    if (!this.#saved) throw new IOReturnError(kIOReturnNotFound, `RestoreDeviceState: no state of ${this.getName()} was saved`);
    const v = new DataView(this.#saved.buffer);
    for (let o = 0x08; o < 256; o += 4) h.configWrite32(o, v.getUint32(o, true));
    h.configWrite16(0x04, v.getUint16(0x04, true));
  }

  /**
   * Mirrors `Reset(type, options)`: a function-level reset (the only kind a driver of one function
   * may ask for here), where the PCI Express capability offers it; the function's config state is
   * saved before and restored after, as IOPCIFamily does. kIOReturnUnsupported otherwise.
   */
  Reset(type: number, _options = 0): void {
    const h = this.#open('Reset');
    if (type !== kIOPCIDeviceResetTypeFunctionReset) throw new IOReturnError(kIOReturnUnsupported, `Reset: type 0x${type.toString(16)} is not supported; only kIOPCIDeviceResetTypeFunctionReset is`);
    const express = findCapability(h, kIOPCIPCIExpressCapability);
    if (express === 0 || !(h.read32(express + 4) & 0x10000000)) throw new IOReturnError(kIOReturnUnsupported, `Reset: ${this.getName()} offers no function-level reset`);
    this.SaveDeviceState();
    h.reset(type);
    this.RestoreDeviceState();
  }
}

IOUserServerRuntime.registerProviderClass('IOPCIDevice', IOPCIDevice);
