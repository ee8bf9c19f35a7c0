// Guest tier: `serialport` against a real ACM serial port on a real kernel — the host's /dev/ttyACM0 and
// the gadget's /dev/ttyGS0 of a configfs ACM gadget. Proves the library path the serialport provider uses.
import { open, receive } from '../test/helpers';
import { UsbGadget } from '../../../scripts/guest/helpers/UsbGadget';
import { waitForPath } from '../../../scripts/guest/helpers/modules';

let gadget: UsbGadget;

beforeAll(async () => {
  gadget = UsbGadget.create({ name: 'dk_acm', idVendor: 0x1209, idProduct: 0x0003, product: 'DriverKit ACM', functions: [{ name: 'acm.usb0' }] });
  await waitForPath('/dev/ttyACM0');
  await waitForPath('/dev/ttyGS0');
});

afterAll(() => gadget?.remove());


test('bytes cross ttyACM0 → ttyGS0 and back through the real USB serial stack', async () => {
  const host = await open('/dev/ttyACM0');
  const device = await open('/dev/ttyGS0');
  try {
    const there = Buffer.from('hello over a real USB ACM link\n');
    const atDevice = receive(device, there.length);
    host.write(there);
    expect((await atDevice).toString()).toBe(there.toString());
    const back = Buffer.from(Array.from({ length: 4096 }, (_, i) => i & 0xff));
    const atHost = receive(host, back.length);
    device.write(back);
    expect((await atHost).equals(back)).toBe(true);
  } finally {
    await new Promise((r) => host.close(r));
    await new Promise((r) => device.close(r));
  }
});

test('the serial family publishes the real /dev/ttyACM0 from SerialPort.list(), and a driver on it talks to the gadget', async () => {
  const { IOServiceHost } = await import('@driverkit/driverkit');
  const { register, IOSerialStreamSync } = await import('../src/index');
  const { join } = await import('node:path');
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  const stop = await register(host);
  const device = await open('/dev/ttyGS0');
  try {
    host.addDriverBundle(join(__dirname, '../test/fixtures/serial-tty-echo'));
    let nub;
    for (let i = 0; i < 100 && !nub; i++) {
      nub = host.nubs().find((n) => n instanceof IOSerialStreamSync && n.path === '/dev/ttyACM0');
      if (!nub) await new Promise((r) => setTimeout(r, 50));
    }
    expect(nub).toBeDefined();
    // What SerialPort.list() knows of the gadget: its USB vendor and product (from udevadm).
    expect(String(nub!.getProperty('IOTTYDevice'))).toBe('ttyACM0');
    let driver;
    for (let i = 0; i < 100 && !driver; i++) {
      driver = host.clientsOf(nub!).get('IODefaultMatchCategory');
      if (!driver) await new Promise((r) => setTimeout(r, 50));
    }
    expect(driver?.getName()).toBe('TTYUpperEcho');
    // The driver has the host side open; give it its line, and read its answer on the gadget side.
    const answer = receive(device, 'PING FROM THE GADGET\n'.length);
    let answered = false;
    void answer.then(() => (answered = true));
    for (let i = 0; i < 50 && !answered; i++) {
      device.write('ping from the gadget\n');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await answer).toString()).toContain('PING FROM THE GADGET\n');
  } finally {
    await new Promise((r) => device.close(r));
    await stop();
    await host.stop();
  }
});
