// Guest tier: the `usb` package against a real USB device on a real kernel — a configfs gadget with the
// kernel's Loopback function on dummy_hcd. Proves the library path the USB backend is built on.
import { usb } from 'usb';
import { UsbGadget } from '../../../scripts/guest/helpers/UsbGadget';

const VID = 0x1209;
const PID = 0x0001;

// dummy_hcd has one UDC: each test makes its gadget and removes it before the next.

async function findDevice() {
  for (let i = 0; i < 100; i++) {
    const d = await usb.findDeviceByIds(VID, PID);
    if (d) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the gadget never enumerated');
}

test('enumerates the gadget, reads its device descriptor with a control transfer, and loops bulk data back', async () => {
  const gadget = UsbGadget.create({ name: 'dk_loopback', idVendor: VID, idProduct: PID, product: 'DriverKit loopback', functions: [{ name: 'Loopback.0', attributes: { bulk_buflen: '512' } }] });
  try {
    await loopback();
  } finally {
    gadget.remove();
  }
});

async function loopback(): Promise<void> {
  const device = await findDevice();
  expect(device.productName).toBe('DriverKit loopback');
  await device.open();
  try {
    const setup = { requestType: 'standard', recipient: 'device', request: 6, value: 0x0100, index: 0 } as const;
    const result = await device.controlTransferIn(setup, 18);
    const d = Buffer.from(result.data!.buffer);
    expect([d[0], d[1], d.readUInt16LE(8), d.readUInt16LE(10)]).toEqual([18, 1, VID, PID]);

    if (device.configuration?.configurationValue !== 1) await device.selectConfiguration(1);
    const iface = device.configuration!.interfaces[0]!;
    await device.claimInterface(iface.interfaceNumber);
    const eps = iface.alternate.endpoints;
    const out = eps.find((e) => e.direction === 'out' && e.type === 'bulk')!;
    const inn = eps.find((e) => e.direction === 'in' && e.type === 'bulk')!;
    const payload = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7) & 0xff));
    const w = await device.transferOut(out.endpointNumber, payload);
    expect(w.bytesWritten).toBe(512);
    const r = await device.transferIn(inn.endpointNumber, 512);
    expect(Buffer.from(r.data!.buffer).equals(payload)).toBe(true);
    await device.releaseInterface(iface.interfaceNumber);
  } finally {
    await device.close();
  }
}

test('a device model served through FunctionFS is a real USB device: vendor control requests, a stall, and bulk data both ways', async () => {
  const { FunctionFsGadget } = await import('../../../scripts/guest/helpers/FunctionFsGadget');
  const controlOut: Buffer[] = [];
  const gadget = FunctionFsGadget.create({
    name: 'dk_ffs',
    idVendor: VID,
    idProduct: 0x0005,
    product: 'DriverKit FunctionFS',
    model: {
      interfaceClass: 0xff,
      interfaceSubClass: 0x42,
      interfaceProtocol: 0x01,
      interfaceName: 'echo model',
      endpoints: [
        { direction: 'out', type: 'bulk' },
        { direction: 'in', type: 'bulk' },
      ],
      control: (setup, data) => {
        if (setup.bRequest === 1) return Buffer.from('DriverKit model');
        if (setup.bRequest === 3 && data) controlOut.push(data);
        return null;
      },
      received: (_i, data, g) => void g.send(1, Buffer.from(data).reverse()),
    },
  });
  try {
    let device;
    for (let i = 0; i < 100 && !device; i++) {
      device = await usb.findDeviceByIds(VID, 0x0005);
      if (!device) await new Promise((r) => setTimeout(r, 100));
    }
    expect(device).toBeDefined();
    await device!.open();
    if (device!.configuration?.configurationValue !== 1) await device!.selectConfiguration(1);
    const iface = device!.configuration!.interfaces[0]!;
    expect([iface.alternate.interfaceClass, iface.alternate.interfaceSubclass, iface.alternate.interfaceProtocol]).toEqual([0xff, 0x42, 0x01]);
    await device!.claimInterface(iface.interfaceNumber);
    const vendor = (request: number) => ({ requestType: 'vendor', recipient: 'interface', request, value: 0, index: iface.interfaceNumber }) as const;
    const hello = await device!.controlTransferIn(vendor(1), 64);
    expect(Buffer.from(hello.data!.buffer).toString()).toBe('DriverKit model');
    const stalled = await device!.controlTransferIn(vendor(2), 64).then(
      (r) => r.status,
      (e: Error) => `error ${e.message}`,
    );
    expect(stalled).toMatch(/stall/i);
    await device!.controlTransferOut(vendor(3), Uint8Array.from([4, 5, 6]));
    await new Promise((r) => setTimeout(r, 100));
    expect(controlOut.map((b) => [...b])).toEqual([[4, 5, 6]]);
    const eps = iface.alternate.endpoints;
    const out = eps.find((e) => e.direction === 'out')!;
    const inn = eps.find((e) => e.direction === 'in')!;
    await device!.transferOut(out.endpointNumber, Buffer.from('abcdef'));
    const r = await device!.transferIn(inn.endpointNumber, 512);
    expect(Buffer.from(r.data!.buffer).toString()).toBe('fedcba');
    await device!.releaseInterface(iface.interfaceNumber);
    await device!.close();
  } finally {
    gadget.remove();
  }
});
