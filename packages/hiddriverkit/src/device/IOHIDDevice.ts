import { IOReturnError, IOService, kIOReturnUnsupported, type IOMemoryDescriptor, type OSData, type OSDictionary } from '@driverkit/driverkit';

/**
 * Mirrors `IOHIDDevice`: a HID device, what an `IOHIDInterface` is published for. A subclass
 * describes the device (`newDeviceDescription`, `newReportDescriptor`) and serves the system's report
 * requests (`getReport`, `setReport`); its input reports reach the interface through its transport
 * (`IOUserHIDDevice.handleReport` through uhid, `IOUSBHostHIDDevice`'s interrupt pipe).
 *
 * `getReport` and `setReport` take the report's memory and its ID in `options & 0xff`, as Apple's do;
 * they are async instead of completing an OSAction, and `getReport` returns the length it wrote.
 */
export abstract class IOHIDDevice extends IOService {
  static readonly className: string = 'IOHIDDevice';

  /** Mirrors `newDeviceDescription`: VendorID, ProductID, Product, Transport, PrimaryUsagePage, … */
  abstract newDeviceDescription(): OSDictionary;

  /** Mirrors `newReportDescriptor`: the HID report descriptor. */
  abstract newReportDescriptor(): OSData;

  /**
   * Mirrors `getReport(report, reportType, options, completionTimeout, action)`: fills `report` with
   * the requested report (its ID first when the device numbers reports) and returns its length.
   */
  async getReport(_report: IOMemoryDescriptor, reportType: number, options: number, _completionTimeout: number): Promise<number> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} answers no get-report requests (type ${reportType}, report ${options & 0xff})`);
  }

  /** Mirrors `setReport(report, reportType, options, completionTimeout, action)`: sends an output or feature report. */
  async setReport(_report: IOMemoryDescriptor, reportType: number, options: number, _completionTimeout: number): Promise<void> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} takes no reports of type ${reportType} (report ${options & 0xff})`);
  }
}
