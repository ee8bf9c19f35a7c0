import {
  IOBufferMemoryDescriptor,
  IOReturnError,
  type IOService,
  OSData,
  OSDictionary,
  OSNumber,
  OSString,
  kIOMemoryDirectionIn,
  kIOMemoryDirectionInOut,
  kIOReturnBadArgument,
  kIOReturnError,
  kIOReturnNotReady,
  kIOReturnUnsupported,
  type IOMemoryDescriptor,
  type OSObject,
} from '@driverkit/driverkit';
import { parseReportDescriptor, type HIDReportDescriptor } from './descriptor/HIDReportDescriptor';
import type { IOHIDReportType } from './IOHIDElement';
import { kIOHIDReportTypeFeature, kIOHIDReportTypeInput, kIOHIDReportTypeOutput } from './IOHIDInterface';
import { BUS_BLUETOOTH, BUS_USB, UHIDDevice } from './kernel/UHIDDevice';
import { IOHIDDevice } from './IOHIDDevice';

/** How long the kernel waits for a get or set report before giving up on it (uhid's own limit). */
const kUHIDReportTimeoutMS = 5000;
const MAX_REPORT = 4096;
const TYPE_NUMBER: Record<IOHIDReportType, number> = { input: kIOHIDReportTypeInput, output: kIOHIDReportTypeOutput, feature: kIOHIDReportTypeFeature };

function numberOf(description: OSDictionary, key: string): number | undefined {
  const v: OSObject | null = description.getObject(key);
  return v instanceof OSNumber ? v.unsigned32BitValue() : undefined;
}

function stringOf(description: OSDictionary, key: string): string | undefined {
  const v: OSObject | null = description.getObject(key);
  return v instanceof OSString ? v.getCStringNoCopy() : undefined;
}

/**
 * Mirrors `IOUserHIDDevice`: a driver that *is* a HID device, as Karabiner's virtual keyboard is.
 * `Start` asks the subclass for `newDeviceDescription` and `newReportDescriptor` and publishes the
 * device to the system: on Linux through /dev/uhid, so the kernel makes a hidraw node (and input
 * devices) for it, every HID program can open it, and this framework's hidraw backend publishes it as
 * an `IOHIDInterface` for event drivers to match, as macOS does with its IOHIDInterface. Input reports
 * go out with `handleReport`; the kernel's output, get-report and set-report requests come to
 * `setReport` and `getReport`. Where the kernel has no uhid, `Start` fails with kIOReturnUnsupported
 * saying so.
 */
export abstract class IOUserHIDDevice extends IOHIDDevice {
  static override readonly className: string = 'IOUserHIDDevice';
  #device: UHIDDevice | null = null;
  #description: OSDictionary | null = null;
  #descriptor: HIDReportDescriptor | null = null;

  /** Mirrors `IOUserHIDDevice::handleStart(provider)`: the subclass's chance to prepare; false refuses Start. */
  handleStart(_provider: IOService): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Mirrors `newDeviceDescription`: the device's properties. VendorID, ProductID, VersionNumber,
   * CountryCode, Product (the kernel's device name), SerialNumber, Transport ("Bluetooth" makes the
   * kernel's bus Bluetooth, anything else USB), PrimaryUsagePage and PrimaryUsage, LocationID.
   */
  abstract override newDeviceDescription(): OSDictionary;

  /** Mirrors `newReportDescriptor`: the HID report descriptor, 1…4096 bytes. */
  abstract override newReportDescriptor(): OSData;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    if (!(await this.handleStart(provider))) throw new IOReturnError(kIOReturnError, `${this.getName()}.handleStart refused ${provider.getName()}`);
    const description = this.newDeviceDescription();
    const data = this.newReportDescriptor();
    if (!(description instanceof OSDictionary)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.newDeviceDescription returned no OSDictionary`);
    if (!(data instanceof OSData)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.newReportDescriptor returned no OSData`);
    const descriptor = new Uint8Array(data.getBytesNoCopy());
    // Strict, so a malformed descriptor fails here with its byte offset, not as a silent kernel refusal.
    this.#descriptor = parseReportDescriptor(descriptor, 'strict');
    const transport = stringOf(description, 'Transport') ?? 'Virtual';
    const name = stringOf(description, 'Product') ?? this.getName();
    const phys = `driverkit/${this.getName()}/0x${this.GetRegistryEntryID().toString(16)}`;
    this.#device = UHIDDevice.create(
      {
        name,
        phys,
        uniq: stringOf(description, 'SerialNumber') ?? '',
        // hidapi (node-hid, and so the hidraw backend) lists only USB, Bluetooth, I2C and SPI devices:
        // a device on BUS_VIRTUAL would be invisible to it, so any other transport is told USB.
        bus: transport === 'Bluetooth' ? BUS_BLUETOOTH : BUS_USB,
        vendor: numberOf(description, 'VendorID') ?? 0,
        product: numberOf(description, 'ProductID') ?? 0,
        version: numberOf(description, 'VersionNumber') ?? 0,
        country: numberOf(description, 'CountryCode') ?? 0,
        reportDescriptor: descriptor,
      },
      {
        output: (report, type) => void this.#set(report, type, this.#descriptor!.numbered ? (report[0] ?? 0) : 0),
        getReport: (id, type) => this.#get(id, type),
        setReport: (id, type, report) => this.#set(report, type, id),
        error: (e) => this.#log(e.message),
      },
    );
    try {
      this.#publish(description, data, phys);
    } catch (e) {
      await this.#device.destroy();
      this.#device = null;
      throw e;
    }
  }

  #publish(description: OSDictionary, data: OSData, phys: string): void {
    this.#description = description;
    for (const key of ['VendorID', 'ProductID', 'VersionNumber', 'Product', 'Manufacturer', 'SerialNumber', 'Transport', 'PrimaryUsagePage', 'PrimaryUsage', 'LocationID', 'CountryCode']) {
      const v = description.getObject(key);
      if (v) this.setProperty(key, v);
    }
    this.setProperty('ReportDescriptor', data);
    // How to find the kernel's side of this device: hidraw's HIDIOCGRAWPHYS, sysfs `phys`.
    this.setProperty('UHIDPhys', phys);
    this.RegisterService();
  }

  /** The description Start published, or null before Start. */
  get deviceDescription(): OSDictionary | null {
    return this.#description;
  }

  /**
   * Mirrors `handleReport(timestamp, report, reportLength, reportType, options)`: sends a report the
   * device produced (input reports only: that is all a HID device sends), report ID first when the
   * descriptor numbers its reports.
   */
  handleReport(_timestamp: bigint, report: IOMemoryDescriptor | Uint8Array, reportLength: number, reportType = kIOHIDReportTypeInput, _options = 0): void {
    if (!this.#device) throw new IOReturnError(kIOReturnNotReady, `${this.getName()}.handleReport before Start`);
    if (reportType !== kIOHIDReportTypeInput) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()}.handleReport: a device sends input reports only (type ${reportType} given)`);
    const bytes = report instanceof Uint8Array ? report : report.readBytes(0, Number(report.GetLength()));
    if (reportLength > bytes.length) throw new IOReturnError(kIOReturnBadArgument, `handleReport: reportLength ${reportLength} is past the report's ${bytes.length} bytes`);
    this.#device.sendInput(bytes.subarray(0, reportLength));
  }

  /**
   * Mirrors `setReport(report, reportType, options, completionTimeout, action)`: an output or feature
   * report from the system (an LED state, a setting), its ID in `options & 0xff`. The default
   * ignores output reports and refuses feature reports.
   */
  override async setReport(report: IOMemoryDescriptor, reportType: number, options: number, completionTimeout: number): Promise<number | void> {
    if (reportType === kIOHIDReportTypeFeature) return super.setReport(report, reportType, options, completionTimeout);
  }

  async #get(reportID: number, type: IOHIDReportType): Promise<Uint8Array> {
    const buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, MAX_REPORT);
    const length = await this.requestReport('get', buffer, TYPE_NUMBER[type], reportID, kUHIDReportTimeoutMS);
    if (!Number.isInteger(length) || length < 0 || length > MAX_REPORT) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.getReport returned length ${length}; 0…${MAX_REPORT} expected`);
    const bytes = buffer.readBytes(0, length);
    // Linux puts the report number first even when the descriptor numbers no reports (then it is 0);
    // IOKit's reports carry an ID byte only when there are IDs.
    return this.#descriptor!.numbered ? bytes : Uint8Array.of(0, ...bytes);
  }

  async #set(data: Uint8Array, type: IOHIDReportType, reportID: number): Promise<void> {
    const report = this.#descriptor!.numbered ? data : this.#withoutReportNumber(data, type);
    const buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, Math.max(report.length, 1));
    buffer.writeBytes(0, report);
    buffer.SetLength(report.length);
    try {
      await this.requestReport('set', buffer, TYPE_NUMBER[type], reportID, kUHIDReportTimeoutMS);
    } catch (e) {
      // An output report has nobody to answer to: say what went wrong where it can be seen.
      if (type === 'output') this.#log(`setReport: ${(e as Error).message}`);
      else throw e;
    }
  }

  /** For a device without report IDs: the payload, once Linux's leading report number 0 is taken off. */
  #withoutReportNumber(data: Uint8Array, type: IOHIDReportType): Uint8Array {
    const info = this.#descriptor!.reports.find((r) => r.type === type && r.reportID === 0);
    return info && data.length === info.length + 1 && data[0] === 0 ? data.subarray(1) : data;
  }

  #log(message: string): void {
    process.stderr.write(`${this.getName()}: ${message}\n`);
  }

  override async Stop(provider: IOService): Promise<void> {
    const device = this.#device;
    this.#device = null;
    await device?.destroy();
    await super.Stop(provider);
  }
}
