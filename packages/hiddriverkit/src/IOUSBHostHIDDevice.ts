import {
  IOBufferMemoryDescriptor,
  IOReturnError,
  OSAction,
  OSData,
  OSNumber,
  OSString,
  toOSDictionary,
  type IOMemoryDescriptor,
  type IOService,
  type OSDictionary,
  type OSValue,
  kIOMemoryDirectionIn,
  kIOMemoryDirectionOut,
  kIOReturnBadArgument,
  kIOReturnAborted,
  kIOReturnNoDevice,
  kIOReturnSuccess,
  kIOReturnUnsupported,
  type IOServiceHost,
} from '@driverkit/driverkit';
import { IOUSBGetNextAssociatedDescriptorWithType, IOUSBGetNextEndpointDescriptor, kIOUSBEndpointTypeInterrupt, type IOUSBHostInterface, type IOUSBHostPipe } from '@driverkit/usbdriverkit';
import type { HIDDeviceHandle } from './backend/HIDBackend';
import { parseReportDescriptor } from './descriptor/HIDReportDescriptor';
import { IOHIDInterface, kIOHIDReportTypeFeature, kIOHIDReportTypeInput, kIOHIDReportTypeOutput } from './IOHIDInterface';
import { IOHIDDevice } from './IOHIDDevice';

// HID 1.11 §7.1 and §7.2.
const kHIDDescriptorType = 0x21;
const kHIDReportDescriptorType = 0x22;
const kHIDRequestGetReport = 0x01;
const kHIDRequestSetReport = 0x09;
const kHIDRequestSetIdle = 0x0a;
const kHIDRequestSetProtocol = 0x0b;
const kHIDBootSubClass = 1;
const kHIDReportProtocol = 1;
// The HID class's report types (wValue's high byte) by IOHIDReportType.
const USB_REPORT_TYPES: Record<number, number> = { [kIOHIDReportTypeInput]: 1, [kIOHIDReportTypeOutput]: 2, [kIOHIDReportTypeFeature]: 3 };
const IOHID_REPORT_TYPES = { input: kIOHIDReportTypeInput, output: kIOHIDReportTypeOutput, feature: kIOHIDReportTypeFeature } as const;
/** SET_REPORT and GET_REPORT wait this long, as IOUSBHostFamily's default control timeout. */
const kReportTimeoutMS = 5000;
// bmRequestType: class request to the interface, host-to-device / device-to-host.
const kClassInterfaceOut = 0x21;
const kClassInterfaceIn = 0xa1;
const kStandardInterfaceIn = 0x81;
const kGetDescriptor = 0x06;

/**
 * Mirrors the USB HID class driver (IOUserUSBHostHIDDevice / Linux's usbhid): on an IOUSBHostInterface
 * of class 3 it reads the HID and report descriptors, sends SET_IDLE (and SET_PROTOCOL(report) to a
 * boot device), keeps a read in flight on the interrupt IN pipe, and publishes an IOHIDInterface for
 * the device. The pipe is polled from the first open on. Output reports go out on the interrupt OUT pipe when there is one, else as SET_REPORT.
 * The HID family's host plugin starts it on class-3 interfaces no driver package claimed.
 */
export class IOUSBHostHIDDevice extends IOHIDDevice {
  static override readonly className = 'IOUSBHostHIDDevice';

  #interface: IOUSBHostInterface | null = null;
  #interfaceNumber = 0;
  #inPipe: IOUSBHostPipe | null = null;
  #outPipe: IOUSBHostPipe | null = null;
  #inBuffer: IOBufferMemoryDescriptor | null = null;
  #readComplete: OSAction | null = null;
  readonly #listeners = new Set<(report: Uint8Array) => void>();
  readonly #removed = new Set<() => void>();
  #stopping = false;
  #reading = false;
  /** Whether the device's reports start with their ID (SET_REPORT names it in wValue too). */
  #numbered = false;
  #description: Record<string, unknown> | null = null;
  #reportDescriptor: Uint8Array | null = null;

  constructor(private readonly host: IOServiceHost) {
    super();
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const iface = provider as IOUSBHostInterface;
    await iface.Open(this, 0);
    this.#interface = iface;
    try {
      await this.#attach(iface, provider);
    } catch (e) {
      // Nothing half-open: the pipes and the interface go back.
      this.#inPipe?.release();
      this.#outPipe?.release();
      this.#inPipe = this.#outPipe = null;
      this.#interface = null;
      await iface.Close(this).catch(() => {});
      throw e;
    }
  }

  async #attach(iface: IOUSBHostInterface, provider: IOService): Promise<void> {
    const configuration = await iface.CopyConfigurationDescriptor();
    const interfaceDescriptor = iface.GetInterfaceDescriptor(configuration);
    this.#interfaceNumber = interfaceDescriptor.bInterfaceNumber;
    const hid = IOUSBGetNextAssociatedDescriptorWithType(configuration, interfaceDescriptor, null, kHIDDescriptorType);
    if (!hid || hid.bLength < 9) throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()}: interface ${this.#interfaceNumber} is class 3 but has no HID descriptor`);
    const raw = hid.raw;
    let reportLength = 0;
    for (let n = 0; n < raw[5]!; n++) {
      const at = 6 + n * 3;
      if (at + 3 > raw.length) break;
      if (raw[at] === kHIDReportDescriptorType) reportLength = raw[at + 1]! | (raw[at + 2]! << 8);
    }
    if (!reportLength) throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()}: the HID descriptor names no report descriptor`);

    const buffer = iface.CreateIOBuffer(kIOMemoryDirectionIn, reportLength);
    const got = await iface.DeviceRequest(kStandardInterfaceIn, kGetDescriptor, kHIDReportDescriptorType << 8, this.#interfaceNumber, reportLength, buffer);
    const reportDescriptor = buffer.readBytes(0, got);
    buffer.release();
    // Linux's usbhid ignores a device that refuses these, and so do we.
    await iface.DeviceRequest(kClassInterfaceOut, kHIDRequestSetIdle, 0, this.#interfaceNumber, 0, null).catch(() => 0);
    if (interfaceDescriptor.bInterfaceSubClass === kHIDBootSubClass) await iface.DeviceRequest(kClassInterfaceOut, kHIDRequestSetProtocol, kHIDReportProtocol, this.#interfaceNumber, 0, null).catch(() => 0);

    for (let e = IOUSBGetNextEndpointDescriptor(configuration, interfaceDescriptor, null); e; e = IOUSBGetNextEndpointDescriptor(configuration, interfaceDescriptor, e)) {
      if ((e.bmAttributes & 3) !== kIOUSBEndpointTypeInterrupt) continue;
      if (e.bEndpointAddress & 0x80) this.#inPipe ??= await iface.CopyPipe(e.bEndpointAddress);
      else this.#outPipe ??= await iface.CopyPipe(e.bEndpointAddress);
    }
    if (!this.#inPipe) throw new IOReturnError(kIOReturnUnsupported, `${provider.getName()}: interface ${this.#interfaceNumber} has no interrupt IN endpoint`);
    this.#inBuffer = iface.CreateIOBuffer(kIOMemoryDirectionIn, this.#inPipe.GetMaxPacketSize());
    this.#readComplete = OSAction.Create(this, 'ReadComplete', 0);

    const path = `usb:${this.GetRegistryEntryID().toString(16)}`;
    const number = (key: string) => {
      const v = provider.SearchProperty(key, 'IOService', 1n);
      return v instanceof OSNumber ? Number(v.unsigned32BitValue()) : 0;
    };
    const text = (key: string) => {
      try {
        const v = provider.SearchProperty(key, 'IOService', 1n);
        return v instanceof OSString ? v.getCStringNoCopy() : null;
      } catch {
        return null;
      }
    };
    this.#numbered = parseReportDescriptor(reportDescriptor, 'lenient').numbered;
    const nub = new IOHIDInterface();
    // The nub opens this device, and only while it runs (#handle refuses once stopping).
    nub.setOpener(async () => this.#handle());
    nub.setName(text('USB Product Name') ?? 'IOHIDInterface');
    const properties = IOHIDInterface.propertiesFor('usb', {
      path,
      vendorId: number('idVendor'),
      productId: number('idProduct'),
      versionNumber: number('bcdDevice'),
      manufacturer: text('USB Vendor Name'),
      product: text('USB Product Name'),
      serialNumber: text('USB Serial Number'),
      transport: 'USB',
      locationID: number('locationID'),
      reportDescriptor,
    });
    this.#description = properties;
    this.#reportDescriptor = reportDescriptor;
    for (const [k, v] of Object.entries(properties)) nub.setProperty(k, v as never);
    this.RegisterService();
    this.host.publishNub(nub, this);
    nub.release();
  }

  /** The interrupt IN pipe's completion: hand the report on and read again. */
  ReadComplete(_action: OSAction, status: number, actualByteCount: number, _timestamp: bigint): void {
    if (this.#stopping) return;
    if (status === kIOReturnSuccess) {
      const report = this.#inBuffer!.readBytes(0, actualByteCount);
      for (const l of this.#listeners) l(report);
    } else if (status === kIOReturnAborted || status === kIOReturnNoDevice) {
      for (const l of this.#removed) l();
      return;
    }
    this.#inPipe!.AsyncIO(this.#inBuffer, this.#inPipe!.GetMaxPacketSize(), this.#readComplete!, 0);
  }

  #handle(): HIDDeviceHandle {
    const mine = new Set<(r: Uint8Array) => void>();
    return {
      onInputReport: (listener) => {
        mine.add(listener);
        this.#listeners.add(listener);
        // As usbhid does, poll the interrupt pipe from the first open on: reports before it are the device's to keep.
        if (!this.#reading && !this.#stopping) {
          this.#reading = true;
          this.#inPipe!.AsyncIO(this.#inBuffer, this.#inPipe!.GetMaxPacketSize(), this.#readComplete!, 0);
        }
        return () => {
          mine.delete(listener);
          this.#listeners.delete(listener);
        };
      },
      onRemoved: (listener) => void this.#removed.add(listener),
      setReport: async (type, report) => {
        // An OUT buffer, filled by the CPU through its bytes (writeBytes is the device's side).
        const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionOut, report.length);
        md.GetBytes().set(report);
        try {
          await this.requestReport('set', md, IOHID_REPORT_TYPES[type], this.#numbered ? report[0]! : 0, kReportTimeoutMS);
        } finally {
          md.release();
        }
      },
      getReport: async (type, reportID, length) => {
        const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, length);
        try {
          return md.readBytes(0, await this.requestReport('get', md, IOHID_REPORT_TYPES[type], reportID, kReportTimeoutMS));
        } finally {
          md.release();
        }
      },
      close: async () => {
        for (const l of mine) this.#listeners.delete(l);
        mine.clear();
      },
    };
  }


  /** Mirrors `newDeviceDescription`: what the interface and its device said about themselves. */
  override newDeviceDescription(): OSDictionary {
    if (!this.#description) throw new IOReturnError(kIOReturnNoDevice, `${this.getName()} has not read its device yet`);
    return toOSDictionary(this.#description as Record<string, OSValue>);
  }

  /** Mirrors `newReportDescriptor`: the report descriptor read with GET_DESCRIPTOR at Start. */
  override newReportDescriptor(): OSData {
    if (!this.#reportDescriptor) throw new IOReturnError(kIOReturnNoDevice, `${this.getName()} has not read its device yet`);
    return OSData.withBytes(this.#reportDescriptor);
  }

  /** Mirrors `setReport`: an output report on the interrupt OUT pipe when there is one, else SET_REPORT. */
  override async setReport(report: IOMemoryDescriptor, reportType: number, options: number, completionTimeout: number): Promise<number | void> {
    const iface = this.#live();
    const length = Number(report.GetLength());
    if (reportType === kIOHIDReportTypeOutput && this.#outPipe) await this.#outPipe.IO(report, length, completionTimeout);
    else await iface.DeviceRequest(kClassInterfaceOut, kHIDRequestSetReport, (this.#usbType(reportType) << 8) | (options & 0xff), this.#interfaceNumber, length, report, completionTimeout);
  }

  /** Mirrors `getReport`: GET_REPORT on the control pipe; returns the length the device sent. */
  override async getReport(report: IOMemoryDescriptor, reportType: number, options: number, completionTimeout: number): Promise<number> {
    const iface = this.#live();
    return iface.DeviceRequest(kClassInterfaceIn, kHIDRequestGetReport, (this.#usbType(reportType) << 8) | (options & 0xff), this.#interfaceNumber, Number(report.GetLength()), report, completionTimeout);
  }

  #usbType(reportType: number): number {
    const t = USB_REPORT_TYPES[reportType];
    if (t === undefined) throw new IOReturnError(kIOReturnBadArgument, `report type ${reportType} is none of input (0), output (1), feature (2)`);
    return t;
  }

  #live(): IOUSBHostInterface {
    if (!this.#interface || this.#stopping) throw new IOReturnError(kIOReturnNoDevice, `${this.getName()} is stopped`);
    return this.#interface;
  }

  override async Stop(provider: IOService): Promise<void> {
    this.#stopping = true;
    for (const l of this.#removed) l();
    await this.#inPipe?.Abort().catch(() => {});
    this.#readComplete?.release();
    this.#inBuffer?.release();
    this.#inPipe?.release();
    this.#outPipe?.release();
    await this.#interface?.Close(this).catch(() => {});
    this.#interface = null;
    await super.Stop(provider);
  }
}
