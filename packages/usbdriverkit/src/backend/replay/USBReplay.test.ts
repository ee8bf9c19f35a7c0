import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOService, IOServiceHost, isIOReturnError, kIOMemoryDirectionIn, kIOReturnBadArgument, kIOReturnNotFound } from '@driverkit/driverkit';
import { IOUSBHostInterface, USBCapture, USBHostController, USBMatchingFamily, USBReplay, VirtualUSBHost, parseConfigurationDescriptor, parseDeviceDescriptor } from '../../index';

const data = join(__dirname, '../../../../../../shared/data/usb');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('USB 2.0 analyzer packets (288): the mouse enumerates as Packetry decoded it, and its reports replay in order', async () => {
  const capture = USBCapture.fromFile(join(data, 'packetry/captures/mouse/capture.pcap'));
  expect(capture.frames).toHaveLength(2182);
  expect(capture.devices()).toEqual([{ bus: 0, address: 4 }]);
  const replay = new USBReplay(capture, 0, 4);
  const d = parseDeviceDescriptor(replay.model.device as Uint8Array);
  expect([d.idVendor, d.idProduct, d.bcdDevice, d.bMaxPacketSize0, d.iProduct]).toEqual([0x1bcf, 0x0005, 0x0014, 8, 2]);
  const cfg = parseConfigurationDescriptor(replay.model.configurations[0] as Uint8Array);
  expect([cfg.wTotalLength, cfg.bNumInterfaces, cfg.bmAttributes, cfg.MaxPower * 2]).toEqual([34, 1, 0xa0, 98]);
  expect(replay.model.strings).toEqual({ 2: 'USB Optical Mouse' });
  const reports = capture.transfersOf(0, 4).filter((t) => t.endpoint === 0x81 && t.status === 'ok');
  expect(reports.length).toBeGreaterThan(100);

  // Played back through the family: an interface driver sees the recorded HID report descriptor and every report.
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  host.registerFamily(USBMatchingFamily);
  const usb = new VirtualUSBHost();
  const controller = new USBHostController(host, [usb]);
  await controller.start();
  usb.attach(replay.model);
  await new Promise((r) => setTimeout(r, 10));
  const iface = controller.nubs().find((n) => n instanceof IOUSBHostInterface) as IOUSBHostInterface;
  expect(['bInterfaceClass', 'bInterfaceSubClass', 'bInterfaceProtocol'].map((k) => Number(String(iface.getProperty(k))))).toEqual([3, 1, 2]);
  const client = new IOService();
  client.init();
  await iface.Open(client);
  const buf = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionIn, 75);
  expect(await iface.DeviceRequest(0x81, 6, 0x2200, 0, 75, buf)).toBe(75);
  expect(buf.readBytes(0, 4)).toEqual(Uint8Array.of(0x05, 0x01, 0x09, 0x02)); // Generic Desktop, Mouse
  const pipe = await iface.CopyPipe(0x81);
  const got: string[] = [];
  for (let i = 0; i < reports.length; i++) {
    const n = await pipe.IO(buf, 7, 1000);
    got.push(hex(buf.readBytes(0, n)));
  }
  expect(got).toEqual(reports.map((r) => hex(r.data)));
  expect(replay.remaining(0x81)).toBe(0);
  await iface.Close(client);
  await controller.stop();
  await host.stop();
});

test('two devices and their stalls in one analyzer capture; a high-speed DFU bootloader', () => {
  const emf = USBCapture.fromFile(join(data, 'packetry/captures/emf2022-badge/capture.pcap'));
  expect(emf.frames).toHaveLength(4406);
  const ids = emf.devices().map((d) => {
    const dd = parseDeviceDescriptor(new USBReplay(emf, d.bus, d.address).model.device as Uint8Array);
    return `${d.address}:${dd.idVendor.toString(16)}:${dd.idProduct.toString(16)}`;
  });
  expect(ids).toEqual(['1:303a:1001', '2:16d0:1114']);
  expect(new USBReplay(emf, 0, 1).model.strings![1]).toBe('Espressif\u0000');
  expect(emf.transfers.some((t) => t.status === 'stall')).toBe(true);
  const badge = new USBReplay(emf, 0, 2);
  const cfg = parseConfigurationDescriptor(badge.model.configurations[0] as Uint8Array);
  expect(cfg.bytes.some((b, i) => cfg.bytes[i + 1] === 0x24 && b >= 4)).toBe(true); // CDC functional descriptors kept

  const dfu = USBCapture.fromFile(join(data, 'packetry/captures/hackrf-dfu-enum/capture.pcap'));
  expect(dfu.frames).toHaveLength(186);
  const [dev] = dfu.devices();
  const r = new USBReplay(dfu, dev!.bus, dev!.address);
  const dd = parseDeviceDescriptor(r.model.device as Uint8Array);
  expect([dd.idVendor, dd.idProduct]).toEqual([0x1fc9, 0x000c]);
  expect(parseConfigurationDescriptor(r.model.configurations[0] as Uint8Array).bytes[9 + 5]).toBe(0xfe); // interface class DFU
});

test('usbmon (pcapng, 220) and USBPcap (pcapng, 249) captures, with the counts their upstream asserts', () => {
  const mon = USBCapture.fromFile(join(data, 'usbmon-tools/test1.pcap'));
  expect(mon.frames).toHaveLength(16);
  const elecom = mon.transfers.find((t) => t.setup?.bRequest === 6 && t.setup.wValue === 0x100 && t.data.length === 18 && t.data[8] === 0x6e);
  expect(elecom && [parseDeviceDescriptor(elecom.data).idVendor, parseDeviceDescriptor(elecom.data).idProduct]).toEqual([0x056e, 0x00ff]);
  // This capture holds no configuration descriptor: a replay says so instead of inventing one.
  const { bus, address } = mon.devices().find((d) => d.address === elecom!.address)!;
  let error: unknown;
  try {
    new USBReplay(mon, bus, address);
  } catch (e) {
    error = e;
  }
  expect(isIOReturnError(error) && error.code === kIOReturnNotFound).toBe(true);
  expect((error as Error).message).toMatch(/no complete configuration descriptor/);
  expect(mon.transfers.filter((t) => t.type === 'interrupt' && t.endpoint & 0x80).length).toBeGreaterThan(0);

  const win = USBCapture.fromFile(join(data, 'usbmon-tools/usbpcap1.pcap'));
  expect(win.frames).toHaveLength(498);
  const descriptors = win.transfers.filter((t) => t.setup?.bRequest === 6 && t.setup.wValue >> 8 === 1 && t.data.length >= 18);
  expect(descriptors).toHaveLength(1);
  expect([descriptors[0]!.bus, descriptors[0]!.address, parseDeviceDescriptor(descriptors[0]!.data).idVendor]).toEqual([1, 1, 0x0627]);
  expect(new USBReplay(win, 1, 1).remaining(0x81)).toBeGreaterThan(200);
});

/** A classic pcap (LINKTYPE_USBPCAP) of these records, as a capture file would hold them. */
function usbpcapFile(records: Array<{ timestampUs: number; data: Uint8Array }>): Uint8Array {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(249, 20);
  const parts = [head];
  for (const r of records) {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(Math.floor(r.timestampUs / 1e6), 0);
    h.writeUInt32LE(r.timestampUs % 1e6, 4);
    h.writeUInt32LE(r.data.length, 8);
    h.writeUInt32LE(r.data.length, 12);
    parts.push(h, Buffer.from(r.data));
  }
  return new Uint8Array(Buffer.concat(parts));
}

test('USBPcap pipe management (a stalled pipe reset, an aborted pipe) is reported, never replayed as IN data', () => {
  const original = USBCapture.fromFile(join(data, 'usbmon-tools/usbpcap1.pcap'));
  const served = new USBReplay(original, 1, 1).remaining(0x81);
  const template = original.frames.find((f) => f.data[22] === 1 && f.data[21] === 0x81 && (f.data[16]! & 1) === 1)!.data;
  let t = original.frames[original.frames.length - 1]!.timestampUs;
  // A USBPcap header of its own: IRP id, USBD status, URB function, info (bit 0: completion), transfer type.
  const record = (irp: number, status: number, fn: number, completion: boolean, transfer: number) => {
    const b = Buffer.from(template.subarray(0, 27));
    b.writeUInt16LE(27, 0);
    b.writeBigUInt64LE(BigInt(irp), 2);
    b.writeUInt32LE(status, 10);
    b.writeUInt16LE(fn, 14);
    b[16] = completion ? 1 : 0;
    b[22] = transfer;
    b.writeUInt32LE(0, 23);
    return { timestampUs: (t += 1000), data: new Uint8Array(b) };
  };
  const URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER = 0x0009;
  const added = [
    record(0x7001, 0xc0000004, URB_FUNCTION_BULK_OR_INTERRUPT_TRANSFER, true, 1), // the IN transfer stalls
    record(0x7002, 0, 0x0030, false, 0xfe), // URB_FUNCTION_SYNC_RESET_PIPE_AND_CLEAR_STALL
    record(0x7002, 0, 0x0030, true, 0xfe),
    record(0x7003, 0, 0x0002, false, 0xff), // URB_FUNCTION_ABORT_PIPE
    record(0x7003, 0, 0x0002, true, 0xff),
  ];
  const capture = USBCapture.fromBytes(usbpcapFile([...original.frames, ...added]));
  expect(capture.transfers).toHaveLength(original.transfers.length + 1);
  expect(capture.transfers.at(-1)).toMatchObject({ endpoint: 0x81, type: 'interrupt', status: 'stall', data: new Uint8Array(0) });
  expect(capture.pipeEvents.map((e) => [e.bus, e.address, e.endpoint, e.kind])).toEqual([
    [1, 1, 0x81, 'reset-pipe-and-clear-stall'],
    [1, 1, 0x81, 'abort-pipe'],
  ]);
  const replay = new USBReplay(capture, 1, 1);
  expect(replay.remaining(0x81)).toBe(served);
  expect(replay.log).toEqual([
    expect.stringMatching(/^skipped reset-pipe-and-clear-stall on endpoint 0x81 at \d+ µs: pipe management, not a transfer$/),
    expect.stringMatching(/^skipped abort-pipe on endpoint 0x81 at \d+ µs/),
  ]);
});

test('a truncated or foreign capture is refused with the offset', () => {
  const bytes = USBCapture.fromFile(join(data, 'packetry/captures/mouse/capture.pcap')).frames[0]!.data;
  expect(() => USBCapture.fromBytes(Uint8Array.of(1, 2, 3, 4, 5))).toThrow(/magic 0x4030201 is neither pcap nor pcapng/);
  const head = Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0, 100, 0, 0, 0, ...bytes);
  let error: unknown;
  try {
    USBCapture.fromBytes(head);
  } catch (e) {
    error = e;
  }
  expect(isIOReturnError(error) && error.code === kIOReturnBadArgument).toBe(true);
  expect((error as Error).message).toMatch(/at byte 24: record of 100 bytes runs past the end/);
  expect(() => USBCapture.fromBytes(Uint8Array.of(...head.subarray(0, 24), 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0x2d))).toThrow(/link type 1 is not USB/);
});
