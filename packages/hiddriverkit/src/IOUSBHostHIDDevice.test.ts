import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOFixedFromInt, IOFixedToInt, IOServiceHost, kIOMemoryDirectionIn } from '@driverkit/driverkit';
import { IOUSBHostInterface, USBCapture, USBReplay, VirtualUSBDevice, kIOUSBEndpointTypeInterrupt, register as registerUSB, VirtualUSBHost, type VirtualUSBDevice as Device } from '@driverkit/usbdriverkit';
import { IOHIDDevice, IOHIDInterface, IOUSBHostHIDDevice, kIOHIDReportTypeFeature, decodeReport, encodeReport, parseReportDescriptor, type IOHIDEvent, type IOUserHIDEventDriver } from './index';
import { register } from './plugin';
import { until } from '../test/helpers';

const data = join(__dirname, '../../../../shared/data');
const fixture = join(__dirname, '../test/fixtures/hid-events');
const mouseDescriptor = readFileSync(join(data, 'hid/packetry/mouse/descriptor.bin'));

/** A USB mouse: interface class 3 (boot, mouse) with its HID descriptor, and the requests usbhid makes. */
function usbMouse(requests: string[]): VirtualUSBDevice {
  const hid = Uint8Array.of(9, 0x21, 0x11, 0x01, 0, 1, 0x22, mouseDescriptor.length & 0xff, mouseDescriptor.length >> 8);
  return new VirtualUSBDevice({
    device: { idVendor: 4617, idProduct: 0x4d53, bcdDevice: 0x0100, iProduct: 1 },
    strings: { 1: 'USB Mouse' },
    configurations: [{ bConfigurationValue: 1, interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 3, bInterfaceSubClass: 1, bInterfaceProtocol: 2, extra: [hid], endpoints: [{ bEndpointAddress: 0x81, bmAttributes: kIOUSBEndpointTypeInterrupt, wMaxPacketSize: 8, bInterval: 10 }] }] }],
    control: (setup) => {
      requests.push(`${setup.bmRequestType.toString(16)}/${setup.bRequest}/${setup.wValue.toString(16)}`);
      if (setup.bmRequestType === 0x81 && setup.bRequest === 6 && setup.wValue === 0x2200) return mouseDescriptor.subarray(0, setup.wLength);
      return setup.bmRequestType === 0x21; // SET_IDLE, SET_PROTOCOL
    },
  });
}

describe('HID over USB', () => {
  let host: IOServiceHost;
  let stops: Array<() => Promise<void>>;
  const logs: string[] = [];
  beforeEach(async () => {
    host = new IOServiceHost({ mode: 'in-process', log: (l) => logs.push(l) });
    stops = [await registerUSB(host, { libusb: false }), await register(host)];
    host.addDriverBundle(fixture);
  });
  afterEach(async () => {
    for (const s of stops) await s();
    await host.stop();
  });

  const hidInterface = () => host.nubs().find((n) => n instanceof IOHIDInterface && n.getProperty('IOHIDBackend')?.toString() === 'usb') as IOHIDInterface | undefined;

  test('the class driver reads the report descriptor, sets idle and report protocol, and its reports become events', async () => {
    const requests: string[] = [];
    const mouse = usbMouse(requests);
    const handle = VirtualUSBHost.of(host).attach(mouse);
    const nub = await until(hidInterface);
    expect(nub.GetProvider()).toBeInstanceOf(IOUSBHostHIDDevice);
    expect(nub.getPath()).toMatch(/IOUSBHostInterface.*\/IOUSBHostHIDDevice\/USB Mouse$/);
    expect(requests).toEqual(['81/6/2200', '21/10/0', '21/11/1']);
    const props = nub.copyProperties();
    expect(['VendorID', 'ProductID', 'Transport', 'PrimaryUsagePage', 'PrimaryUsage'].map((k) => String(props.getObject(k)))).toEqual(['4617', '19795', 'USB', '1', '2']);
    // It is an IOHIDDevice: it describes itself, and serves report requests over the control pipe.
    const device = nub.GetProvider() as IOHIDDevice;
    expect(device).toBeInstanceOf(IOHIDDevice);
    expect([...device.newReportDescriptor().getBytesNoCopy()]).toEqual([...mouseDescriptor]);
    expect(String(device.newDeviceDescription().getObject('ProductID'))).toBe('19795');
    const buffer = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, 4);
    await expect(device.getReport(buffer, kIOHIDReportTypeFeature, 5, 1000)).rejects.toThrow();
    expect(requests.at(-1)).toBe('a1/1/305'); // GET_REPORT, feature (3), report 5: the device stalled it
    await expect(device.getReport(buffer, 7, 0, 1000)).rejects.toThrow(/report type 7 is none of/);
    const driver = await until(() => host.clientsOf(nub).get('IODefaultMatchCategory') as IOUserHIDEventDriver | undefined);
    const events: IOHIDEvent[] = [];
    driver.addEventListener((e) => events.push(e));
    const d = parseReportDescriptor(mouseDescriptor);
    const input = d.reports[0]!;
    const x = input.elements.find((e) => e.getUsage() === 0x30 && e.getUsagePage() === 1)!;
    mouse.send(0x81, encodeReport(d, 'input', 1, new Map([[x, 12]])));
    await until(() => events.length === 1);
    expect(events[0]).toMatchObject({ type: 'relativePointer', dx: IOFixedFromInt(12), dy: 0 });
    // Unplugged: the interface, the class driver and its IOHIDInterface go.
    VirtualUSBHost.of(host).detach(handle);
    await until(() => !hidInterface());
  });

  test('a class-3 interface without a HID descriptor is refused by name and left closed', async () => {
    const broken = new VirtualUSBDevice({
      device: { idVendor: 4617, idProduct: 0x4d54 },
      configurations: [{ bConfigurationValue: 1, interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 3, endpoints: [{ bEndpointAddress: 0x81, bmAttributes: kIOUSBEndpointTypeInterrupt, wMaxPacketSize: 8, bInterval: 10 }] }] }],
    });
    const handle = VirtualUSBHost.of(host).attach(broken);
    await until(() => logs.find((l) => /is class 3 but has no HID descriptor/.test(l)));
    expect(hidInterface()).toBeUndefined();
    const iface = host.nubs().find((n) => n instanceof IOUSBHostInterface) as IOUSBHostInterface;
    const other = new IOUSBHostHIDDevice(host);
    await iface.Open(other, 0); // free again
    await iface.Close(other);
    other.release();
    VirtualUSBHost.of(host).detach(handle);
  });

  test('on a replayed capture of a real USB mouse, every recorded report reaches the event driver', async () => {
    const recording = join(data, 'usb/packetry/captures/mouse/capture.pcap');
    const capture = USBCapture.fromFile(recording);
    const reports = capture.transfers.filter((t) => t.endpoint === 0x81 && t.status === 'ok').map((t) => t.data!);
    const [first] = capture.devices();
    const replay = new USBReplay(capture, first!.bus, first!.address);
    const events: IOHIDEvent[] = [];
    // The replayed device answers every poll at once, and polling starts at the event driver's Open,
    // inside its Start: it holds its reports until the driver has started and is listened to, or the
    // first ones would become events before there is a listener.
    let listening!: () => void;
    const listened = new Promise<void>((resolve) => (listening = resolve));
    const model = { ...replay.model, in: (endpoint: number, length: number, device: VirtualUSBDevice) => listened.then(() => replay.model.in!(endpoint, length, device)) };
    host.onEvent((e) => {
      const driver = e.kind === 'started' ? (e.service as unknown as Partial<Pick<IOUserHIDEventDriver, 'addEventListener'>>) : null;
      if (!driver?.addEventListener) return;
      driver.addEventListener((ev) => events.push(ev));
      listening();
    });
    const handle: Device = VirtualUSBHost.of(host).attach(model);
    const nub = await until(hidInterface).catch((e) => {
      throw new Error(`${(e as Error).message}: ${logs.join('\n')}`);
    });
    // The recorded descriptor (from the capture's GET_DESCRIPTOR) decodes the recorded reports on its
    // own: the motion they add up to is what the pointer events must add up to.
    const d = parseReportDescriptor((nub.getProperty('ReportDescriptor') as unknown as { getBytesNoCopy(): Uint8Array }).getBytesNoCopy());
    const sum = (usage: number) => reports.reduce((n, r) => n + decodeReport(d, 'input', r).filter((v) => v.element.getUsagePage() === 1 && v.element.getUsage() === usage).reduce((a, v) => a + v.value, 0), 0);
    const [dx, dy] = [sum(0x30), sum(0x31)];
    expect(Math.abs(dx) + Math.abs(dy)).toBeGreaterThan(0);
    const moved = () => events.reduce((a, e) => (e.type === 'relativePointer' ? [a[0]! + IOFixedToInt(e.dx), a[1]! + IOFixedToInt(e.dy)] : a), [0, 0]);
    await until(() => moved()[0] === dx && moved()[1] === dy, 10_000).catch((e) => {
      throw new Error(`${(e as Error).message}: moved ${moved()} of ${dx},${dy} in ${events.length} events, ${reports.length} reports, mismatches ${replay.mismatches.length}`);
    });
    expect(replay.mismatches).toEqual([]);
    VirtualUSBHost.of(host).detach(handle);
  }, 20_000);
});
