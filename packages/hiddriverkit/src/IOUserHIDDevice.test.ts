import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IOReturnError, IOServiceHost, OSData, OSDictionary, OSNumber, OSString, kIOReturnBadArgument, kIOReturnNotReady, kIOReturnUnsupported } from '@driverkit/driverkit';
import { IOUserHIDDevice, UHIDDevice } from './index';
import { until } from '../test/helpers';

const bootKeyboard = [
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65, 0x81, 0x00, 0xc0,
];

class TestHIDDevice extends IOUserHIDDevice {
  static override readonly className: string = 'TestHIDDevice';
  constructor(readonly descriptor: number[]) {
    super();
  }
  newDeviceDescription(): OSDictionary {
    const d = OSDictionary.withCapacity(2);
    d.setObject('VendorID', OSNumber.withNumber(0x1209, 32));
    d.setObject('Product', OSString.withCString('Test HID device'));
    return d;
  }
  newReportDescriptor(): OSData {
    return OSData.withBytes(this.descriptor);
  }
}

async function startError(device: IOUserHIDDevice): Promise<IOReturnError> {
  const host = new IOServiceHost({ mode: 'in-process' });
  try {
    await device.startWithProvider(host.userResources, null);
  } catch (e) {
    return e as IOReturnError;
  } finally {
    await host.stop();
  }
  throw new Error('Start succeeded');
}

describe('IOUserHIDDevice', () => {
  const path = UHIDDevice.path;
  afterEach(() => {
    UHIDDevice.path = path;
  });

  test('without /dev/uhid, Start says plainly that the kernel offers none, and leaves nothing registered', async () => {
    UHIDDevice.path = '/nonexistent/uhid';
    const device = new TestHIDDevice(bootKeyboard);
    const e = await startError(device);
    expect(e.code).toBe(kIOReturnUnsupported);
    expect(e.message).toMatch(/this kernel offers no \/nonexistent\/uhid .*modprobe uhid/);
    expect(device.getProperty('Product')).toBeNull();
  });

  test('a malformed report descriptor fails Start with its byte offset, before the kernel is asked', async () => {
    UHIDDevice.path = '/nonexistent/uhid';
    // Input (0x81) claims two data bytes that are not there.
    const e = await startError(new TestHIDDevice([0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x82, 0x02]));
    expect(e.message).toMatch(/offset 6|byte 6|at 6/);
    expect(e.message).not.toMatch(/uhid/);
  });

  test('an empty or oversized descriptor is refused by size', () => {
    expect(() => UHIDDevice.create({ name: 'x', vendor: 1, product: 2, reportDescriptor: new Uint8Array(0) })).toThrow(expect.objectContaining({ code: kIOReturnBadArgument, message: expect.stringMatching(/1…4096 bytes; this one is 0/) }));
    expect(() => UHIDDevice.create({ name: 'x', vendor: 1, product: 2, reportDescriptor: new Uint8Array(4097) })).toThrow(/this one is 4097/);
  });

  test('handleReport before Start is an error, not a silent drop', () => {
    expect(() => new TestHIDDevice(bootKeyboard).handleReport(0n, new Uint8Array(8), 8)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
  });

  test('through the host: a driver package whose IOUserHIDDevice cannot be published fails with that error in the host log', async () => {
    const lines: string[] = [];
    const host = new IOServiceHost({ log: (l) => lines.push(l) });
    try {
      host.addDriverBundle(join(__dirname, '../test/fixtures/hid-device'));
      if (existsSync('/dev/uhid')) {
        // A machine with uhid publishes it instead (the guest tier tests that path).
        await until(() => lines.some((l) => l.includes('DKVirtualKeyboard started')), 10_000, 'the virtual keyboard to start');
      } else {
        await until(() => lines.some((l) => l.includes('/dev/uhid')), 10_000, `a log line about /dev/uhid in:\n${lines.join('\n')}`);
        expect(lines.find((l) => l.includes('/dev/uhid'))).toMatch(/DKVirtualKeyboard.*this kernel offers no \/dev\/uhid/);
      }
    } finally {
      await host.stop();
    }
  }, 20_000);
});
