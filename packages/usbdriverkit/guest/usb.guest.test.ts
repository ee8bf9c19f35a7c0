// Guest tier: the `usb` package against a real USB device on a real kernel — a configfs gadget with the
// kernel's Loopback function on dummy_hcd. Proves the library path the USB backend is built on.
import { usb } from 'usb';
import { UsbGadget } from '../../../scripts/guest/helpers/UsbGadget';

const VID = 0x1209;
const PID = 0x0001;

let gadget: UsbGadget;

beforeAll(async () => {
  gadget = UsbGadget.create({ name: 'dk_loopback', idVendor: VID, idProduct: PID, product: 'DriverKit loopback', functions: [{ name: 'Loopback.0', attributes: { bulk_buflen: '512' } }] });
});

afterAll(() => gadget?.remove());

async function findDevice() {
  for (let i = 0; i < 100; i++) {
    const d = await usb.findDeviceByIds(VID, PID);
    if (d) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the gadget never enumerated');
}

test('enumerates the gadget, reads its device descriptor with a control transfer, and loops bulk data back', async () => {
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
});
