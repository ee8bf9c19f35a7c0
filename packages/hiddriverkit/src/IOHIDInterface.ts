import { IOBufferMemoryDescriptor, IOReturnError, IOService, IOUserServerRuntime, OSData, kIOMemoryDirectionInOut, kIOReturnBadArgument, kIOReturnOverrun, kIOReturnExclusiveAccess, kIOReturnNotOpen, kIOReturnUnsupported, mach_absolute_time, type IOMemoryDescriptor, type IOProviderLink, type IORemoteCaller, type OSAction, type OSDictionary } from '@driverkit/driverkit';
import type { HIDDeviceDescription, HIDDeviceHandle } from './backend/HIDBackend';
import { HIDDeviceOpeners } from './backend/HIDDeviceOpeners';
import { encodeReport } from './descriptor/HIDReportCodec';
import { parseReportDescriptor, type HIDReportDescriptor } from './descriptor/HIDReportDescriptor';
import { HIDReportProcessor } from './descriptor/HIDReportProcessor';
import type { IOHIDElement, IOHIDReportType } from './IOHIDElement';
import { HIDRemoteHandle } from './remote/HIDRemoteHandle';
import { HIDRemoteServer } from './remote/HIDRemoteServer';

/** Mirrors `IOHIDReportType`. */
export const kIOHIDReportTypeInput = 0;
export const kIOHIDReportTypeOutput = 1;
export const kIOHIDReportTypeFeature = 2;

/** Mirrors `IOHIDElementCommitDirection`. */
export const kIOHIDElementCommitDirectionIn = 0;
export const kIOHIDElementCommitDirectionOut = 1;

/** How many report buffers a client that adds none to the pool gets (Apple's event services make their own). */
export const kIOHIDInterfaceDefaultReportPoolSize = 8;

/**
 * Input reports that wait for a pool buffer before one is dropped: Linux's hidraw keeps this many for
 * a reader that falls behind (HIDRAW_BUFFER_SIZE). Without it a driver process that was descheduled
 * for a few milliseconds would lose reports the host read for it in one batch, though its pool frees
 * up again long before the device could overrun a real queue.
 */
export const kIOHIDInterfaceReportBacklog = 64;

/** A report buffer in the pool, with the view the interface copies reports into. */
interface PoolEntry {
  md: IOBufferMemoryDescriptor;
  bytes: Uint8Array;
}

const typeName = (t: number): IOHIDReportType => (t === kIOHIDReportTypeInput ? 'input' : t === kIOHIDReportTypeOutput ? 'output' : 'feature');

/** Opens a device by backend name and path, in whatever process the interface lives in. */
export type IOHIDDeviceOpener = (backend: string, path: string) => Promise<HIDDeviceHandle>;

/**
 * Mirrors `IOHIDInterface`: the nub an event service (or any HID driver) sits on. Its properties are
 * Apple's (VendorID, ProductID, PrimaryUsagePage, DeviceUsagePairs, ReportDescriptor, …); `Open`
 * opens the device through the family's backend in the driver's own process, so reports never cross
 * the host, and each input report is delivered to the client's ReportAvailable action.
 */
export class IOHIDInterface extends IOService {
  static readonly className = 'IOHIDInterface';
  /** How this nub opens its device in the host (the plugin that published it says); driver processes open hidraw themselves. */
  #opener: IOHIDDeviceOpener | null = null;

  #handle: HIDDeviceHandle | null = null;
  #client: IOService | null = null;
  #unsubscribe: (() => void) | null = null;
  /** The free report buffers; a buffer is out from a report's delivery until its ReportAvailable returns. */
  #pool: PoolEntry[] = [];
  #poolMembers = new Set<IOBufferMemoryDescriptor>();
  /** Buffers a ReportAvailable still holds: released when it returns if the pool was emptied meanwhile. */
  #out = new Set<IOBufferMemoryDescriptor>();
  /** Reports waiting, in order, for a buffer to come back to the pool. */
  #backlog: Uint8Array[] = [];
  #dropped = 0;
  /** Whether the current run of drops was told to the log (once per run, not once per report). */
  #dropLogged = false;
  #descriptor: HIDReportDescriptor | null = null;
  #elements: IOHIDElement[] | null = null;
  #processor: HIDReportProcessor | null = null;
  /** In a driver process: the way to the host's nub, for devices that live there. */
  #link: IOProviderLink | null = null;
  /** In the host: the driver process that has this device open, if one does. */
  #remote: HIDRemoteServer | null = null;

  /** The properties a nub for `d` carries, with the values IOHIDFamily uses. */
  static propertiesFor(backend: string, d: HIDDeviceDescription): Record<string, unknown> {
    const parsed = parseReportDescriptor(d.reportDescriptor, 'lenient');
    const apps = parsed.root.getChildElements().filter((c) => c.getCollectionType() === 1);
    const max = (t: IOHIDReportType) => Math.max(0, ...parsed.reports.filter((r) => r.type === t).map((r) => r.length));
    return {
      VendorID: d.vendorId,
      ProductID: d.productId,
      VersionNumber: d.versionNumber,
      ...(d.manufacturer ? { Manufacturer: d.manufacturer } : {}),
      ...(d.product ? { Product: d.product } : {}),
      ...(d.serialNumber ? { SerialNumber: d.serialNumber } : {}),
      Transport: d.transport,
      LocationID: d.locationID,
      PrimaryUsagePage: apps[0]?.getUsagePage() ?? 0,
      PrimaryUsage: apps[0]?.getUsage() ?? 0,
      DeviceUsagePairs: apps.map((a) => ({ DeviceUsagePage: a.getUsagePage(), DeviceUsage: a.getUsage() })),
      MaxInputReportSize: max('input'),
      MaxOutputReportSize: max('output'),
      MaxFeatureReportSize: max('feature'),
      ReportDescriptor: d.reportDescriptor,
      IOHIDBackend: backend,
      IOHIDBackendPath: d.path,
      // As Apple's HID nubs do: a driver on this device needs the HID transport entitlement.
      IOServiceDEXTEntitlements: [['com.apple.developer.driverkit.transport.hid']],
    };
  }

  #descriptorOf(): HIDReportDescriptor {
    if (!this.#descriptor) {
      const d = this.getProperty('ReportDescriptor');
      if (!(d instanceof OSData)) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} has no ReportDescriptor property`);
      this.#descriptor = parseReportDescriptor(d.getBytesNoCopy(), 'lenient');
    }
    return this.#descriptor;
  }

  /**
   * Mirrors `IOHIDInterface::getElements`: every element in descriptor order, collections included;
   * an array field is followed by its items (one per usage, valued 1 while reported). The same
   * objects each time: report processing updates their values and timestamps.
   */
  getElements(): IOHIDElement[] {
    if (!this.#elements) {
      const all: IOHIDElement[] = [];
      const walk = (e: IOHIDElement) => {
        for (const c of e.getChildElements()) {
          all.push(c);
          if (c.arrayItems) all.push(...c.arrayItems);
          walk(c);
        }
      };
      walk(this.#descriptorOf().root);
      all.forEach((e, i) => {
        e.cookie = i + 1;
        // IOHIDElement.commit sends or reads through the interface the element came from.
        e.committer = (elements, direction) => this.commitElements(elements, direction);
      });
      this.#elements = all;
    }
    return this.#elements;
  }

  /**
   * Mirrors `IOHIDInterface::processReport(timestamp, report, reportLength, type, reportID)`: updates
   * the elements the report carries (value, previous value, timestamp). Returns the elements whose
   * value changed, valid until the next report.
   */
  processReport(timestamp: bigint, report: Uint8Array, reportLength: number, type: number, _reportID = 0): readonly IOHIDElement[] {
    this.#processor ??= new HIDReportProcessor(this.#descriptorOf());
    this.#processor.process(typeName(type), reportLength < report.length ? report.subarray(0, reportLength) : report, timestamp);
    return this.#processor.changed;
  }

  /**
   * Mirrors `IOHIDInterface::commitElements(elements, direction)`. Out: the output and feature
   * reports holding these elements are built from their values (`setValue`) and sent. In: the
   * feature reports holding them are read and processed.
   */
  async commitElements(elements: readonly IOHIDElement[], direction: number): Promise<void> {
    const reports = new Map<string, { type: IOHIDReportType; id: number }>();
    for (const e of elements) {
      const type = e.fields.reportType;
      if (type === undefined || (direction === kIOHIDElementCommitDirectionOut ? type === 'input' : type !== 'feature')) continue;
      reports.set(`${type}/${e.getReportID()}`, { type, id: e.getReportID() });
    }
    const d = this.#descriptorOf();
    for (const { type, id } of reports.values()) {
      if (direction === kIOHIDElementCommitDirectionOut) {
        const info = d.reports.find((r) => r.type === type && r.reportID === id)!;
        const values = new Map(info.elements.filter((e) => !e.isConstant()).map((e) => [e, e.arrayItems ? e.arrayItems.filter((i) => i.value).map((i) => i.fields.usages![0]!) : e.value] as const));
        await this.SetReport(encodeReport(d, type, id, values), type === 'output' ? kIOHIDReportTypeOutput : kIOHIDReportTypeFeature, id);
      } else {
        const bytes = await this.GetReport(kIOHIDReportTypeFeature, id);
        this.processReport(mach_absolute_time(), bytes, bytes.length, kIOHIDReportTypeFeature, id);
      }
    }
  }

  /**
   * Mirrors `IOHIDInterface::Open(forClient, options, action)`: one client at a time; `action` (a
   * ReportAvailable method: `(action, timestamp, reportID, reportLength, type, report)`) receives each
   * input report on its queue, in `report`, a buffer of the report pool ({@link AddReportToPool}; a
   * client that adds none by its first report gets {@link kIOHIDInterfaceDefaultReportPoolSize}
   * buffers). A buffer goes back to the pool when ReportAvailable returns (or its promise settles);
   * a report that finds every buffer out waits for one in a backlog of
   * {@link kIOHIDInterfaceReportBacklog}, and past that is dropped and counted (`IOHIDReportsDropped`,
   * and one line in the log per run of drops), as macOS drops what its pool cannot hold.
   */
  async Open(forClient: IOService, _options: number, action: OSAction | null): Promise<void> {
    if (this.#client) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()} is open by ${this.#client.getName()}`);
    if (this.#remote?.isOpen) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()} is open by a driver in another process`);
    const numbered = this.#descriptorOf().numbered;
    this.#client = forClient;
    try {
      this.#handle = await this.#openDevice();
    } catch (e) {
      this.#client = null;
      this.#emptyPool();
      throw e;
    }
    const held = action?.retain() ?? null;
    const deliver = (report: Uint8Array, entry: PoolEntry): void => {
      entry.bytes.set(report);
      this.#out.add(entry.md);
      const reportID = numbered ? report[0]! : 0;
      void held!.Invoke(mach_absolute_time(), reportID, report.length, kIOHIDReportTypeInput, entry.md).finally(() => {
        this.#out.delete(entry.md);
        if (!this.#poolMembers.has(entry.md)) return void entry.md.release();
        const next = this.#backlog.shift();
        if (next) return deliver(next, entry);
        this.#pool.push(entry);
        this.#dropLogged = false;
      });
    };
    // Every pool buffer holds at least this (AddReportToPool checks), so it is the one bound a report needs.
    const maxSize = this.#maxInputReportSize();
    const off = this.#handle.onInputReport((report) => {
      if (!held) return;
      if (this.#poolMembers.size === 0) for (let i = 0; i < kIOHIDInterfaceDefaultReportPoolSize; i++) this.#addToPool(IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, maxSize));
      if (report.length > maxSize) return this.#drop(`a ${report.length}-byte report is longer than the descriptor's input reports`);
      const entry = this.#backlog.length ? undefined : this.#pool.pop();
      if (entry) return deliver(report, entry);
      // hidraw, too, keeps the reports that came first and drops the newest.
      if (this.#backlog.length >= kIOHIDInterfaceReportBacklog) return this.#drop(`every pool buffer was out and ${kIOHIDInterfaceReportBacklog} reports were waiting`);
      this.#backlog.push(report.slice());
    });
    this.#unsubscribe = () => {
      off();
      held?.release();
    };
    this.#handle.onRemoved(() => void this.Terminate());
  }

  /**
   * Mirrors `IOHIDInterface::AddReportToPool(report)`: a buffer input reports are delivered in. It
   * must hold the device's largest input report (`MaxInputReportSize`); the pool is emptied at Close.
   */
  AddReportToPool(report: IOBufferMemoryDescriptor): void {
    if (!(report instanceof IOBufferMemoryDescriptor)) throw new IOReturnError(kIOReturnBadArgument, 'AddReportToPool takes an IOBufferMemoryDescriptor');
    const need = this.#maxInputReportSize();
    if (report.GetCapacity() < BigInt(need)) throw new IOReturnError(kIOReturnBadArgument, `AddReportToPool: a ${report.GetCapacity()}-byte buffer cannot hold ${this.getName()}'s ${need}-byte input reports`);
    if (this.#poolMembers.has(report)) throw new IOReturnError(kIOReturnBadArgument, 'AddReportToPool: that buffer is already in the pool');
    this.#addToPool(report.retain());
  }

  /** Input reports dropped because every pool buffer was still out (or a report outgrew its buffer). */
  get droppedReports(): number {
    return this.#dropped;
  }

  #addToPool(md: IOBufferMemoryDescriptor): void {
    // The view spans the capacity: a report's length is passed beside it, as Apple's reportLength is.
    md.SetLength(Number(md.GetCapacity()));
    this.#poolMembers.add(md);
    this.#pool.push({ md, bytes: md.GetBytes() });
  }

  #emptyPool(): void {
    this.#backlog = [];
    for (const md of this.#poolMembers) if (!this.#out.has(md)) md.release();
    this.#poolMembers.clear();
    this.#pool = [];
  }

  #drop(why: string): void {
    this.#dropped++;
    this.setProperty('IOHIDReportsDropped', this.#dropped);
    if (this.#dropLogged) return;
    this.#dropLogged = true;
    console.error(`${this.getName()}: input reports dropped (${why}); IOHIDReportsDropped counts them`);
  }

  #maxInputReportSize(): number {
    return Math.max(1, ...this.#descriptorOf().reports.filter((r) => r.type === 'input').map((r) => r.length));
  }

  /** Opens the device: in this process through the family's backend, or through the host's nub. */
  #openDevice(): Promise<HIDDeviceHandle> {
    const backend = String(this.getProperty('IOHIDBackend') ?? '');
    const path = String(this.getProperty('IOHIDBackendPath') ?? '');
    // hidraw nodes are opened where the driver runs, so reports never cross the host.
    if (this.#link && !HIDDeviceOpeners.has(backend)) return HIDRemoteHandle.open(this.#link);
    if (this.#opener) return this.#opener(backend, path);
    return HIDDeviceOpeners.open(backend, path);
  }

  /** @internal The plugin that publishes this nub in the host says how its device opens. */
  setOpener(opener: IOHIDDeviceOpener): void {
    this.#opener = opener;
  }

  /** @internal A driver process's link to the host's nub (set by the driver runtime). */
  setProviderLink(link: IOProviderLink): void {
    this.#link = link;
  }

  /** @internal In the host: a call from a driver process that drives this device. */
  handleRemoteCall(method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
    this.#remote ??= new HIDRemoteServer(
      () => this.#openDevice(),
      () => this.#client?.getName() ?? null,
    );
    return this.#remote.handle(method, args, caller);
  }

  /** Mirrors `IOHIDInterface::Close(forClient, options)`. */
  async Close(forClient: IOService, _options = 0): Promise<void> {
    if (this.#client !== forClient) return;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#client = null;
    this.#emptyPool();
    const h = this.#handle;
    this.#handle = null;
    await h?.close();
  }

  #open(): HIDDeviceHandle {
    if (!this.#handle) throw new IOReturnError(kIOReturnNotOpen, `${this.getName()} is not open`);
    return this.#handle;
  }

  /** Mirrors `IOHIDInterface::SetReport(report, reportType, reportID, options)`: an output or feature report. */
  async SetReport(report: Uint8Array | IOMemoryDescriptor, reportType: number, reportID: number, _options = 0): Promise<void> {
    if (reportType === kIOHIDReportTypeInput) throw new IOReturnError(kIOReturnBadArgument, 'SetReport: input reports come from the device');
    const bytes = report instanceof Uint8Array ? report : report.readBytes(0, Number(report.GetLength()));
    if (this.#descriptorOf().numbered && bytes[0] !== reportID) throw new IOReturnError(kIOReturnBadArgument, `SetReport: the report starts with ID ${bytes[0]}, not ${reportID}`);
    await this.#open().setReport(typeName(reportType) as 'output' | 'feature', bytes);
  }

  /**
   * Mirrors `IOHIDInterface::GetReport(report, reportType, reportID, options)`: with a memory descriptor
   * first, as Apple's, the report is read into it and the call resolves with its length (a descriptor
   * too small is kIOReturnOverrun); without one, it resolves with the report's bytes.
   */
  GetReport(reportType: number, reportID: number, options?: number): Promise<Uint8Array>;
  GetReport(report: IOMemoryDescriptor, reportType: number, reportID: number, options?: number): Promise<number>;
  async GetReport(...args: [number, number, number?] | [IOMemoryDescriptor, number, number, number?]): Promise<Uint8Array | number> {
    if (typeof args[0] === 'number') return this.#getReport(args[0], args[1] as number);
    const [md, reportType, reportID] = args as [IOMemoryDescriptor, number, number];
    const bytes = await this.#getReport(reportType, reportID);
    if (BigInt(bytes.length) > md.GetLength()) throw new IOReturnError(kIOReturnOverrun, `GetReport: the ${bytes.length}-byte report does not fit the ${md.GetLength()}-byte memory descriptor`);
    md.writeBytes(0, bytes);
    return bytes.length;
  }

  async #getReport(reportType: number, reportID: number): Promise<Uint8Array> {
    const type = typeName(reportType);
    const info = this.#descriptorOf().reports.find((r) => r.type === type && r.reportID === reportID);
    if (!info) throw new IOReturnError(kIOReturnBadArgument, `GetReport: no ${type} report #${reportID}`);
    return this.#open().getReport(type as 'input' | 'feature', reportID, info.length);
  }

  override async Stop(provider: IOService): Promise<void> {
    if (this.#client) await this.Close(this.#client);
    await this.#remote?.close();
    await super.Stop(provider);
  }
}

// A driver process that loads the family drives its IOHIDInterface providers itself: hidraw devices
// it opens directly; virtual and USB devices live in the host, and it reaches them through the link.
IOUserServerRuntime.registerProviderClass('IOHIDInterface', IOHIDInterface);
