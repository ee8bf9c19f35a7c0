import { IOReturnError, IOService, OSAction, kIOReturnBadArgument, kIOReturnUnsupported, type IOMemoryDescriptor, type OSData, type OSDictionary } from '@driverkit/driverkit';
import { IOHIDReportCompletion } from './IOHIDReportCompletion';

/**
 * Mirrors `IOHIDDevice`: a HID device, what an `IOHIDInterface` is published for. A subclass
 * describes the device (`newDeviceDescription`, `newReportDescriptor`) and serves the system's report
 * requests (`getReport`, `setReport`); its input reports reach the interface through its transport
 * (`IOUserHIDDevice.handleReport` through uhid, `IOUSBHostHIDDevice`'s interrupt pipe).
 *
 * `getReport` and `setReport` take the report's memory and its ID in `options & 0xff`, as Apple's do.
 * They complete in one of two ways:
 * - Apple's: an override that declares the fifth parameter, `action`, returns its kern_return at once
 *   (a non-zero IOReturn fails the request) and later calls {@link CompleteReport}`(action, status,
 *   actualByteCount)`, from any queue; a request not completed within `completionTimeout` ms fails
 *   with kIOReturnTimeout.
 * - Ours: an override of four parameters is async and its result completes the request: `getReport`
 *   resolves with the length it wrote, a rejection carries the error.
 */
export abstract class IOHIDDevice extends IOService {
  static readonly className: string = 'IOHIDDevice';

  /** Mirrors `newDeviceDescription`: VendorID, ProductID, Product, Transport, PrimaryUsagePage, … */
  abstract newDeviceDescription(): OSDictionary;

  /** Mirrors `newReportDescriptor`: the HID report descriptor. */
  abstract newReportDescriptor(): OSData;

  /**
   * Mirrors `getReport(report, reportType, options, completionTimeout, action)`: fills `report` with
   * the requested report (its ID first when the device numbers reports); see the class for the two
   * ways to complete.
   */
  async getReport(_report: IOMemoryDescriptor, reportType: number, options: number, _completionTimeout: number, ..._action: [OSAction?]): Promise<number | void> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} answers no get-report requests (type ${reportType}, report ${options & 0xff})`);
  }

  /** Mirrors `setReport(report, reportType, options, completionTimeout, action)`: sends an output or feature report. */
  async setReport(_report: IOMemoryDescriptor, reportType: number, options: number, _completionTimeout: number, ..._action: [OSAction?]): Promise<number | void> {
    throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} takes no reports of type ${reportType} (report ${options & 0xff})`);
  }

  /**
   * Mirrors `IOHIDDevice::CompleteReport(action, status, actualByteCount)`: completes the get or set
   * report request `action` was handed with. Only the first completion of a request counts.
   */
  CompleteReport(action: OSAction, status: number, actualByteCount: number): void {
    const completion = action.GetTarget();
    if (!(completion instanceof IOHIDReportCompletion)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.CompleteReport: that action did not come with a getReport or setReport request`);
    completion.ReportComplete(action, status >>> 0, actualByteCount);
  }

  /**
   * @internal How the family's transports ask the driver for a report (get) or hand it one (set):
   * resolves with the byte count the request completed with, in either of the two forms.
   */
  protected async requestReport(kind: 'get' | 'set', report: IOMemoryDescriptor, reportType: number, options: number, completionTimeout: number): Promise<number> {
    const method = kind === 'get' ? this.getReport : this.setReport;
    const what = `${this.getName()}.${kind}Report (type ${reportType}, report ${options & 0xff})`;
    if (method.length < 5) {
      const r = await method.call(this, report, reportType, options, completionTimeout);
      return kind === 'get' ? (r as number) : Number(report.GetLength());
    }
    const completion = new IOHIDReportCompletion(what);
    const action = OSAction.CreateWithTypeName(completion, 'ReportComplete', 0, 'IOHIDDevice::CompleteReport');
    try {
      const status = await method.call(this, report, reportType, options, completionTimeout, action);
      if (typeof status === 'number' && status >>> 0 !== 0) throw new IOReturnError(status >>> 0, `${what} refused the request`);
      completion.expire(completionTimeout);
      return await completion.done;
    } finally {
      action.Cancel();
    }
  }
}
