import { IOBufferMemoryDescriptor, IOReturnError, OSAction, OSData, OSDictionary, OSObject, kIOMemoryDirectionInOut, kIOReturnBadArgument, kIOReturnNotResponding, kIOReturnSuccess, kIOReturnTimeout, kIOReturnUnsupported, type IOMemoryDescriptor } from '@driverkit/driverkit';
import { IOHIDDevice } from './index';
import { kIOHIDReportTypeFeature, kIOHIDReportTypeOutput } from './IOHIDInterface';

// A device in Apple's form: its getReport returns at once and completes later with CompleteReport;
// its setReport refuses some requests with a kern_return and never completes others.
class AppleFormDevice extends IOHIDDevice {
  static override readonly className: string = 'AppleFormDevice';
  newDeviceDescription(): OSDictionary {
    return OSDictionary.withCapacity(0);
  }
  newReportDescriptor(): OSData {
    return OSData.withBytes([]);
  }
  override async getReport(report: IOMemoryDescriptor, _reportType: number, options: number, _completionTimeout: number, action?: OSAction): Promise<number> {
    const held = action!.retain();
    setTimeout(() => {
      report.writeBytes(0, Uint8Array.of(options & 0xff, 0x44, 0x4b));
      this.CompleteReport(held, options & 0xff ? kIOReturnSuccess : kIOReturnNotResponding, 3);
      // A second completion of the same request does not count.
      this.CompleteReport(held, kIOReturnSuccess, 1);
      held.release();
    }, 20);
    return kIOReturnSuccess;
  }
  override async setReport(_report: IOMemoryDescriptor, reportType: number, _options: number, _completionTimeout: number, _action?: OSAction): Promise<number> {
    return reportType === kIOHIDReportTypeOutput ? kIOReturnUnsupported : kIOReturnSuccess;
  }
  ask(kind: 'get' | 'set', type: number, id: number, timeout = 1000): Promise<number> {
    return this.requestReport(kind, IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8), type, id, timeout);
  }
  askInto(md: IOMemoryDescriptor, id: number): Promise<number> {
    return this.requestReport('get', md, kIOHIDReportTypeFeature, id, 1000);
  }
}

// Ours: async methods whose result completes the request.
class AsyncFormDevice extends AppleFormDevice {
  override async getReport(report: IOMemoryDescriptor, _reportType: number, options: number): Promise<number> {
    report.writeBytes(0, Uint8Array.of(options & 0xff, 1));
    return 2;
  }
  override async setReport(): Promise<number> {
    throw new IOReturnError(kIOReturnNotResponding, 'the device did not take it');
  }
}

test('Apple\'s form: getReport returns at once, CompleteReport later settles the request with its status and byte count', async () => {
  const device = new AppleFormDevice();
  const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8);
  expect(await device.askInto(md, 5)).toBe(3);
  expect([...md.readBytes(0, 3)]).toEqual([5, 0x44, 0x4b]);
  // A failed completion is the request's error, with its code.
  await expect(device.ask('get', kIOHIDReportTypeFeature, 0)).rejects.toMatchObject({ code: kIOReturnNotResponding });
  // A kern_return refusing the request fails it at once; a request nobody completes times out.
  await expect(device.ask('set', kIOHIDReportTypeOutput, 0)).rejects.toMatchObject({ code: kIOReturnUnsupported });
  const started = Date.now();
  await expect(device.ask('set', kIOHIDReportTypeFeature, 0, 50)).rejects.toMatchObject({ code: kIOReturnTimeout });
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
});

test('our form: the async method\'s result completes the request', async () => {
  const device = new AsyncFormDevice();
  const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8);
  expect(await device.askInto(md, 9)).toBe(2);
  expect([...md.readBytes(0, 2)]).toEqual([9, 1]);
  await expect(device.ask('set', kIOHIDReportTypeFeature, 0)).rejects.toThrow(/the device did not take it/);
});

test('CompleteReport refuses an action that came with no report request', () => {
  const device = new AppleFormDevice();
  class Other extends OSObject {
    Done(): void {}
  }
  expect(() => device.CompleteReport(OSAction.Create(new Other(), 'Done'), kIOReturnSuccess, 0)).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
});
