import { IOBufferMemoryDescriptor, IOService, IOServiceHost, OSAction, OSDictionary, isIOReturnError, kIOMemoryDirectionInOut, kIOReturnAborted, kIOReturnExclusiveAccess, kIOReturnNoDevice, kIOReturnIsoTooNew, kIOReturnIsoTooOld, kIOReturnNotOpen, kIOReturnOverrun, kIOReturnSuccess, kIOReturnTimeout } from '@driverkit/driverkit';
import { IOUSBHostDevice, IOUSBHostIOError, kIOUSBHostPortStatusConnectedSpeedMask, kIOUSBHostPortStatusEnabled, kIOUSBHostPortStatusOvercurrent, kIOUSBHostPortStatusPortTypeMask, kIOUSBHostPortStatusSuspended, IOUSBHostInterface, VirtualUSBHost, USBHostController, USBMatchingFamily, kIOUSBDeviceRequestRecipientInterface, kIOUSBDeviceRequestRecipientOther, kIOUSBDeviceRequestTypeClass, kIOUSBDeviceRequestTypeStandard, kUSBHostReturnPipeStalled, parseStringDescriptor, type VirtualUSBDeviceModel } from './index';

class Client extends IOService {
  completions: Array<[number, number]> = [];
  bundles: Array<{ index: number; count: number; lengths: number[]; statuses: number[] }> = [];
  BundleDone(_a: OSAction, index: number, count: number, lengths: number[], statuses: number[]): void {
    this.bundles.push({ index, count, lengths, statuses: statuses.map((s) => s >>> 0) });
  }
  isoch: (status: number) => void = () => {};
  Done(_a: OSAction, status: number, count: number): void {
    this.completions.push([status >>> 0, count]);
  }
  IsochDone(_a: OSAction, status: number): void {
    this.isoch(status);
  }
}

const control: Array<[number, number[]]> = [];
const setups: Array<{ bmRequestType: number; bRequest: number; wValue: number; wIndex: number; wLength: number }> = [];
const model = (): VirtualUSBDeviceModel => ({
  device: { idVendor: 0x1209, idProduct: 0x0042, iProduct: 1, iSerialNumber: 2 },
  strings: { 1: 'Echo Box', 2: 'SN-9' },
  configurations: [
    { bConfigurationValue: 1, interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 0xff, endpoints: [{ bEndpointAddress: 0x81, bmAttributes: 2, wMaxPacketSize: 64 }, { bEndpointAddress: 0x02, bmAttributes: 2, wMaxPacketSize: 64 }] }] },
    { bConfigurationValue: 2, interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 0xff }, { bInterfaceNumber: 1, bInterfaceClass: 0xff }] },
  ],
  control: (setup, data) => {
    control.push([setup.bRequest, [...(data ?? [])]]);
    setups.push({ ...setup });
    // A class descriptor asked of interface 0 (as a HID driver asks for its report descriptor).
    if (setup.bRequest === 6 && setup.wValue === 0x2200 && setup.wIndex === 0) return Uint8Array.of(0x05, 0x01, 0x09, 0x02);
    if (setup.bRequest === 0x10) return Uint8Array.of(1, 2, 3, 4, 5);
    if (setup.bRequest === 0x11) return true;
    return null;
  },
  out: (_ep, data, dev) => void dev.send(0x81, Uint8Array.from(data).reverse()),
});

async function bench() {
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  host.registerFamily(USBMatchingFamily);
  const usb = new VirtualUSBHost();
  const controller = new USBHostController(host, [usb]);
  await controller.start();
  const device = usb.attach(model());
  await new Promise((r) => setTimeout(r, 10));
  const nubs = controller.nubs();
  const devNub = nubs.find((n) => n instanceof IOUSBHostDevice) as IOUSBHostDevice;
  const ifNub = nubs.find((n) => n instanceof IOUSBHostInterface) as IOUSBHostInterface;
  const a = new Client();
  const b = new Client();
  a.init();
  b.init();
  return { host, usb, controller, device, devNub, ifNub, a, b, stop: async () => (await controller.stop(), await host.stop()) };
}

const code = async (p: Promise<unknown>) => p.then(() => 'ok', (e) => (isIOReturnError(e) ? e.code : String(e)));

test('nubs carry Apple\'s keys; descriptors and strings read back; interfaces open exclusively; bulk data flows through pipes', async () => {
  const { devNub, ifNub, a, b, stop } = await bench();
  expect(devNub.getPath()).toBe('IOService:/Echo Box@80100000');
  expect(['idVendor', 'idProduct', 'USB Product Name', 'USB Serial Number', 'USBSpeed'].map((k) => String(devNub.getProperty(k)))).toEqual(['4617', '66', 'Echo Box', 'SN-9', '1']);
  expect(['bInterfaceNumber', 'bConfigurationValue', 'bInterfaceClass', 'idVendor'].map((k) => String(ifNub.getProperty(k)))).toEqual(['0', '1', '255', '4617']);
  expect((await devNub.CopyDeviceDescriptor()).idProduct).toBe(0x42);
  expect(await devNub.CopyStringDescriptor(1)).toBe('Echo Box');
  // Like the descriptor reads, the frame counter needs no Open.
  expect((await devNub.GetFrameNumber()).frame).toBeGreaterThanOrEqual(0n);

  expect(await code(ifNub.CopyPipe(0x81))).toBe(kIOReturnNotOpen);
  await ifNub.Open(a);
  expect(await code(ifNub.Open(b))).toBe(kIOReturnExclusiveAccess);
  const out = await ifNub.CopyPipe(0x02);
  const inp = await ifNub.CopyPipe(0x81);
  const buf = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64);
  buf.writeBytes(0, Uint8Array.of(1, 2, 3));
  expect(await out.IO(buf, 3, 1000)).toBe(3);
  expect(await inp.IO(buf, 64, 1000)).toBe(3);
  expect([...buf.readBytes(0, 3)]).toEqual([3, 2, 1]);

  // Control requests through the interface: IN data, OUT acknowledged, unknown ones stall.
  expect(await ifNub.DeviceRequest(0xc1, 0x10, 0, 0, 8, buf)).toBe(5);
  expect([...buf.readBytes(0, 5)]).toEqual([1, 2, 3, 4, 5]);
  buf.writeBytes(0, Uint8Array.of(9, 8));
  expect(await ifNub.DeviceRequest(0x41, 0x11, 0, 0, 2, buf)).toBe(2);
  expect(control.at(-1)).toEqual([0x11, [9, 8]]);
  expect(await code(ifNub.DeviceRequest(0x41, 0x12, 0, 0, 0, null))).toBe(kUSBHostReturnPipeStalled);

  await ifNub.Close(a);
  await ifNub.Open(b);
  await ifNub.Close(b);
  await stop();
});

test('CopyDescriptor takes Apple\'s order: type, length, index, languageID (wIndex), requestType, requestRecipient', async () => {
  const { devNub, stop } = await bench();
  const report = await devNub.CopyDescriptor(0x22, 64, 0, 0, kIOUSBDeviceRequestTypeStandard, kIOUSBDeviceRequestRecipientInterface);
  expect([...report]).toEqual([0x05, 0x01, 0x09, 0x02]);
  expect(setups.at(-1)).toEqual({ bmRequestType: 0x81, bRequest: 6, wValue: 0x2200, wIndex: 0, wLength: 64 });
  await code(devNub.CopyDescriptor(0x29, 9, 0, 3, kIOUSBDeviceRequestTypeClass, kIOUSBDeviceRequestRecipientOther));
  expect(setups.at(-1)).toEqual({ bmRequestType: 0xa3, bRequest: 6, wValue: 0x2900, wIndex: 3, wLength: 9 });
  // A string: the language goes in wIndex.
  expect(parseStringDescriptor(await devNub.CopyDescriptor(3, 255, 1, 0x0409))).toBe('Echo Box');
  await stop();
});

test('AsyncIO completes with the stall, the timeout, an abort and an unplug, each with its code; unplug terminates the nubs', async () => {
  const { usb, device, host, ifNub, a, stop } = await bench();
  await ifNub.Open(a);
  const inp = await ifNub.CopyPipe(0x81);
  const buf = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64);
  const done = OSAction.Create(a, 'Done', 0);
  const next = async (n: number) => {
    for (let i = 0; i < 300 && a.completions.length < n; i++) await new Promise((r) => setTimeout(r, 5));
    return a.completions.at(-1);
  };

  device.stall(0x81);
  inp.AsyncIO(buf, 64, done, 0);
  expect(await next(1)).toEqual([kUSBHostReturnPipeStalled >>> 0, 0]);
  inp.AsyncIO(buf, 64, done, 0);
  expect(await next(2)).toEqual([kUSBHostReturnPipeStalled >>> 0, 0]); // still halted on the device
  await inp.ClearStall(true);
  device.send(0x81, Uint8Array.of(7, 7));
  inp.AsyncIO(buf, 64, done, 0);
  expect(await next(3)).toEqual([kIOReturnSuccess, 2]);

  inp.AsyncIO(buf, 64, done, 30);
  expect(await next(4)).toEqual([kIOReturnTimeout >>> 0, 0]);

  // Babble: the device sends more than asked. IO throws the status with the bytes that did move,
  // which are in the buffer; an AsyncIO completion gets the same pair.
  device.send(0x81, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  const babble = await inp.IO(buf, 4, 100).catch((e: unknown) => e);
  expect(babble).toBeInstanceOf(IOUSBHostIOError);
  expect(babble).toMatchObject({ code: kIOReturnOverrun, bytesTransferred: 4 });
  expect([...buf.readBytes(0, 4)]).toEqual([1, 2, 3, 4]);
  device.send(0x81, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
  inp.AsyncIO(buf, 4, done, 0);
  expect(await next(5)).toEqual([kIOReturnOverrun >>> 0, 4]);

  inp.AsyncIO(buf, 64, done, 0);
  await new Promise((r) => setTimeout(r, 10));
  await inp.Abort();
  expect(await next(6)).toEqual([kIOReturnAborted >>> 0, 0]);

  inp.AsyncIO(buf, 64, done, 0);
  await new Promise((r) => setTimeout(r, 10));
  usb.detach(device);
  expect(await next(7)).toEqual([kIOReturnNoDevice >>> 0, 0]);
  await host.whenIdle();
  for (let i = 0; i < 100 && host.nubs().some((n) => n instanceof IOUSBHostDevice); i++) await new Promise((r) => setTimeout(r, 5));
  expect(host.nubs().filter((n) => n instanceof IOUSBHostDevice || n instanceof IOUSBHostInterface)).toEqual([]);
  expect(await code(inp.IO(buf, 8, 100))).toBe(kIOReturnNoDevice);
  done.release();
  await stop();
});

test('SetConfiguration needs the device open and no open interfaces, and republishes the interfaces', async () => {
  const { devNub, ifNub, host, a, b, stop } = await bench();
  expect(await code(devNub.SetConfiguration(2, true))).toBe(kIOReturnNotOpen);
  await devNub.Open(a);
  await ifNub.Open(b);
  expect(await code(devNub.SetConfiguration(2, true))).toBe(kIOReturnExclusiveAccess);
  await ifNub.Close(b);
  await devNub.SetConfiguration(2, true);
  await new Promise((r) => setTimeout(r, 20));
  await host.whenIdle();
  const ifaces = host.nubs().filter((n) => n instanceof IOUSBHostInterface);
  expect(ifaces.map((n) => String(n.getProperty('bInterfaceNumber')))).toEqual(['0', '1']);
  expect((await devNub.CopyConfigurationDescriptor()).bConfigurationValue).toBe(2);
  const it = await devNub.CreateInterfaceIterator();
  const names: string[] = [];
  for (let i = devNub.CopyInterface(it); i; i = devNub.CopyInterface(it)) names.push(String(i.getProperty('bInterfaceNumber')));
  devNub.DestroyInterfaceIterator(it);
  expect(names).toEqual(['0', '1']);
  await devNub.Close(a);
  await stop();
});

test('a client that terminates without Close lets the interface go', async () => {
  const { ifNub, host, a, b, stop } = await bench();
  a.attachToParent(host.registry.root);
  a.RegisterService();
  await ifNub.Open(a);
  await a.Terminate();
  await new Promise((r) => setTimeout(r, 10));
  await ifNub.Open(b);
  await ifNub.Close(b);
  await stop();
});

test('isochronous IN and OUT through IsochIO fill the frame list', async () => {
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  host.registerFamily(USBMatchingFamily);
  const usb = new VirtualUSBHost();
  const controller = new USBHostController(host, [usb]);
  await controller.start();
  const heard: number[][] = [];
  usb.attach({
    device: { idVendor: 0x1209, idProduct: 0x150c },
    configurations: [{ interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 1, endpoints: [{ bEndpointAddress: 0x83, bmAttributes: 1, wMaxPacketSize: 16, bInterval: 1 }, { bEndpointAddress: 0x04, bmAttributes: 1, wMaxPacketSize: 16, bInterval: 1 }] }] }],
    isochIn: (_ep, lengths) => lengths.map((l, i) => new Uint8Array(i === 1 ? l + 4 : l - 1).fill(i + 1)),
    isochOut: (_ep, frames) => void heard.push(...frames.map((f) => [...f])),
  });
  await new Promise((r) => setTimeout(r, 10));
  const iface = controller.nubs().find((n) => n instanceof IOUSBHostInterface) as IOUSBHostInterface;
  const a = new Client();
  a.init();
  await iface.Open(a);
  const buf = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 48);
  const frames = () => [0, 1, 2].map(() => ({ status: -1, requestCount: 16, completeCount: 0, timeStamp: 0n }));
  const frame = async () => (await iface.GetFrameNumber()).frame;
  const done = new Promise<number>((resolve) => (a.isoch = resolve));
  const list = frames();
  // 100 frames (ms) ahead: on a loaded CI machine even 10 frames out passed before the request was queued (IsoTooOld).
  const inPipe = await iface.CopyPipe(0x83);
  const start = (await frame()) + 100n;
  inPipe.IsochIO(buf, list, start, OSAction.Create(a, 'IsochDone', 0));
  expect(await done).toBe(kIOReturnSuccess);
  // It began on the frame asked for, and each frame has its own time stamp, one frame (1 ms) apart.
  expect(await frame()).toBeGreaterThanOrEqual(start);
  expect(list.map((f, i) => (i ? f.timeStamp - list[i - 1]!.timeStamp : 0n))).toEqual([0n, 1_000_000n, 1_000_000n]);
  expect(list.map((f) => [f.status >>> 0, f.completeCount])).toEqual([[kIOReturnSuccess, 15], [0xe00002e8, 16], [kIOReturnSuccess, 15]]); // the long packet overruns
  expect([...buf.readBytes(16, 2), ...buf.readBytes(32, 1)]).toEqual([2, 2, 3]);
  const outDone = new Promise<number>((resolve) => (a.isoch = resolve));
  buf.writeBytes(0, new Uint8Array(48).fill(9));
  // 100 frames ahead, and the pipe copied first, as above.
  const outPipe = await iface.CopyPipe(0x04);
  outPipe.IsochIO(buf, frames(), (await frame()) + 100n, OSAction.Create(a, 'IsochDone', 0));
  expect(await outDone).toBe(kIOReturnSuccess);
  expect(heard.map((f) => f.length)).toEqual([16, 16, 16]);
  // A frame already gone, or one too far ahead, refuses the whole request.
  for (const [at, status] of [[(await frame()) - 2n, kIOReturnIsoTooOld], [(await frame()) + 5000n, kIOReturnIsoTooNew]] as const) {
    const refused = new Promise<number>((resolve) => (a.isoch = resolve));
    const l = frames();
    (await iface.CopyPipe(0x83)).IsochIO(buf, l, at, OSAction.Create(a, 'IsochDone', 0));
    expect((await refused) >>> 0).toBe(status);
    expect(l.map((f) => f.status >>> 0)).toEqual([status, status, status]);
  }
  // AdjustPipe: this isochronous endpoint may take less of the bus (8 bytes a frame, every 2nd frame), never more.
  const pipe = await iface.CopyPipe(0x83);
  const declared = pipe.GetDescriptors().descriptor;
  pipe.AdjustPipe({ descriptor: { ...declared, wMaxPacketSize: 8, bInterval: 2 }, ssCompanionDescriptor: null });
  expect(pipe.GetMaxPacketSize()).toBe(8);
  expect(pipe.GetDescriptors().descriptor.bInterval).toBe(2);
  const soon = (await frame()) + 3n;
  expect(() => pipe.IsochIO(buf, frames(), soon, OSAction.Create(a, 'IsochDone', 0))).toThrow(/frame 0 asks 16 bytes; endpoint 0x83 moves at most 8 per \(micro\)frame/);
  expect(() => pipe.AdjustPipe({ descriptor: { ...declared, wMaxPacketSize: 32 }, ssCompanionDescriptor: null })).toThrow(/32 bytes per interval is more than the 16 the device declares/);
  expect(() => pipe.AdjustPipe({ descriptor: { ...declared, bInterval: 0 }, ssCompanionDescriptor: null })).toThrow(/bInterval 0 is shorter than the declared 1/);
  expect(() => pipe.AdjustPipe({ descriptor: { ...declared, bEndpointAddress: 0x04 }, ssCompanionDescriptor: null })).toThrow(/must be of this endpoint/);
  // Back to what the device declares is allowed.
  pipe.AdjustPipe({ descriptor: { ...declared }, ssCompanionDescriptor: null });
  expect(pipe.GetMaxPacketSize()).toBe(16);
  await iface.Close(a);
  await controller.stop();
  await host.stop();
});

test('bundled I/O: a memory descriptor ring, AsyncIOBundled wrapping at its end, one CompleteAsyncIOBundled with each length and status', async () => {
  const { ifNub, a, stop } = await bench();
  try {
    await ifNub.Open(a);
    const out = await ifNub.CopyPipe(0x02);
    const inp = await ifNub.CopyPipe(0x81);
    const done = OSAction.Create(a, 'BundleDone', 0);
    expect(() => out.AsyncIOBundled(0, 1, [1], done)).toThrow(/no memory descriptor ring/);
    const ring = (pipe: typeof out) => {
      pipe.CreateMemoryDescriptorRing(4);
      const mds = [0, 1, 2, 3].map((i) => {
        const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 16);
        md.writeBytes(0, Uint8Array.of(i, i + 10, i + 20));
        pipe.SetMemoryDescriptor(md, i);
        md.release();
        return md;
      });
      return mds;
    };
    ring(out);
    const inMds = ring(inp);
    expect(() => out.AsyncIOBundled(0, 17, new Array(17).fill(1), done)).toThrow(/1–4 \(kIOUSBHostPipeBundlingMax, the ring's size\)/);
    expect(() => out.AsyncIOBundled(0, 2, [3], done)).toThrow(/1 lengths for 2 transfers/);
    expect(() => out.SetMemoryDescriptor(null, 4)).toThrow(/index 4 is outside the 4-element ring/);
    // Three reads from element 2 wrap to 0; while they wait, asking for element 2 again is not accepted.
    expect(inp.AsyncIOBundled(2, 3, [16, 16, 16], done)).toBe(3);
    expect(inp.AsyncIOBundled(2, 1, [16], done)).toBe(0);
    expect(() => inp.SetMemoryDescriptor(null, 3)).toThrow(/ring element 3 is in flight/);
    // Elements 2, 3, 0 go out: the model echoes each reversed on 0x81, into elements 2, 3, 0 of the IN ring.
    expect(out.AsyncIOBundled(2, 3, [3, 3, 3], done)).toBe(3);
    for (let i = 0; i < 200 && a.bundles.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    expect(a.bundles).toEqual(
      expect.arrayContaining([
        { index: 2, count: 3, lengths: [3, 3, 3], statuses: [kIOReturnSuccess, kIOReturnSuccess, kIOReturnSuccess] },
      ]),
    );
    expect(a.bundles).toHaveLength(2);
    expect([2, 3, 0].map((i) => [...inMds[i]!.readBytes(0, 3)])).toEqual([
      [22, 12, 2],
      [23, 13, 3],
      [20, 10, 0],
    ]);
    // The elements are free again.
    expect(() => inp.SetMemoryDescriptor(null, 3)).not.toThrow();
  } finally {
    await stop();
  }
});

test('GetPortStatus reads the port now: its type, the connected speed, enabled or suspended, overcurrent', async () => {
  const { devNub, device, stop } = await bench();
  try {
    const status = await devNub.GetPortStatus();
    expect(status & kIOUSBHostPortStatusConnectedSpeedMask).toBe(devNub.GetSpeed() << 8);
    expect(status & (kIOUSBHostPortStatusEnabled | kIOUSBHostPortStatusSuspended | kIOUSBHostPortStatusOvercurrent)).toBe(kIOUSBHostPortStatusEnabled);
    expect(status & kIOUSBHostPortStatusPortTypeMask).toBe(0);
    device.setPortState({ suspended: true, overcurrent: true, type: 1 });
    const later = await devNub.GetPortStatus();
    expect(later & (kIOUSBHostPortStatusEnabled | kIOUSBHostPortStatusSuspended | kIOUSBHostPortStatusOvercurrent)).toBe(kIOUSBHostPortStatusSuspended | kIOUSBHostPortStatusOvercurrent);
    expect(later & kIOUSBHostPortStatusPortTypeMask).toBe(1);
  } finally {
    await stop();
  }
});

test('CopyDevice: the interface\'s device, in the host the nub itself, in a driver process a stand-in whose calls reach the same device', async () => {
  const { devNub, ifNub, stop } = await bench();
  try {
    const here = await ifNub.CopyDevice();
    expect(here).toBe(devNub);
    here.release();
    // A driver process's interface stand-in, linked to the host's nub as the runtime links it.
    const caller = { key: 'driver:1', onGone: () => {} };
    const remote = new IOUSBHostInterface();
    remote.setProperties(ifNub.copyProperties());
    remote.setProviderLink({ call: (method, args) => ifNub.handleRemoteCall(method, args, caller).then((r) => r ?? OSDictionary.withCapacity(0)) });
    const device = await remote.CopyDevice();
    expect(device).toBeInstanceOf(IOUSBHostDevice);
    expect(device).not.toBe(devNub);
    expect(device.getName()).toBe('Echo Box');
    expect(String(device.getProperty('USB Serial Number'))).toBe('SN-9');
    expect((await device.CopyDeviceDescriptor()).idProduct).toBe(0x42);
    expect(await device.GetPortStatus()).toBe(await devNub.GetPortStatus());
    device.release();
  } finally {
    await stop();
  }
});

test('AdjustPipe refuses bulk endpoints: only periodic ones reserve bandwidth', async () => {
  const { ifNub, a, stop } = await bench();
  try {
    await ifNub.Open(a);
    const bulk = await ifNub.CopyPipe(0x81);
    expect(() => bulk.AdjustPipe(bulk.GetDescriptors())).toThrow(/only interrupt and isochronous endpoints can be adjusted/);
  } finally {
    await stop();
  }
});
