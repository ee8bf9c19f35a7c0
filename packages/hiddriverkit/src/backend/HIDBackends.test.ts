import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kIOReturnNoDevice, kIOReturnNotPrivileged, kIOReturnUnsupported } from '@driverkit/driverkit';
import { HIDDeviceOpeners, HIDRawBackend, VirtualHIDBackend, VirtualHIDDevice, type NodeHIDModule } from '../index';

const unnumbered = Uint8Array.from([0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x75, 0x08, 0x95, 0x02, 0x09, 0x02, 0x81, 0x02, 0x09, 0x03, 0x91, 0x02, 0xc0]);

describe('VirtualHIDBackend', () => {
  test('devices come and go like hotplug; open, reports both ways, and removal while open', async () => {
    const backend = new VirtualHIDBackend();
    const events: string[] = [];
    backend.watch((e, p) => events.push(`${e} ${p}`));
    const outputs: number[][] = [];
    const device = new VirtualHIDDevice(
      { vendorId: 0x1209, productId: 7, versionNumber: 1, manufacturer: 'DK', product: 'Pad', serialNumber: null, transport: 'Virtual', locationID: 1, reportDescriptor: unnumbered },
      { setReport: (_t, r) => void outputs.push([...r]), getReport: (_t, id) => Uint8Array.of(id, 42, 43) },
    );
    const path = backend.add(device);
    expect((await backend.list()).map((d) => [d.path, d.product])).toEqual([[path, 'Pad']]);
    const h = await backend.open(path);
    const inputs: number[][] = [];
    h.onInputReport((r) => inputs.push([...r]));
    device.sendInput(Uint8Array.of(1, 2));
    await h.setReport('output', Uint8Array.of(3, 4));
    expect(await h.getReport('feature', 9, 2)).toEqual(Uint8Array.of(9, 42));
    expect([inputs, outputs]).toEqual([[[1, 2]], [[3, 4]]]);
    let removed = false;
    h.onRemoved(() => (removed = true));
    backend.remove(path);
    expect(removed).toBe(true);
    await expect(h.setReport('output', Uint8Array.of(1))).rejects.toMatchObject({ code: kIOReturnNoDevice });
    expect(events).toEqual([`added ${path}`, `removed ${path}`]);
    await expect(backend.open(path)).rejects.toThrow(/no virtual HID device/);
  });
});

describe('HIDRawBackend over a node-hid-shaped module and a sysfs tree', () => {
  function fixture(openError?: Error) {
    const sysfs = mkdtempSync(join(tmpdir(), 'hidraw-sysfs-'));
    mkdirSync(join(sysfs, 'hidraw3/device'), { recursive: true });
    writeFileSync(join(sysfs, 'hidraw3/device/report_descriptor'), unnumbered);
    writeFileSync(join(sysfs, 'hidraw3/device/uevent'), 'DRIVER=hid-generic\nHID_ID=0003:00001209:00000007\nHID_NAME=DK Pad\nHID_PHYS=usb-dummy_hcd.0-1/input0\n');
    const device = Object.assign(new EventEmitter(), {
      written: [] as number[][],
      features: [] as number[][],
      write: async (v: Buffer) => (device.written.push([...v]), v.length),
      sendFeatureReport: async (v: Buffer) => (device.features.push([...v]), v.length),
      getFeatureReport: async (id: number, length: number) => Buffer.from([0, id, 5, 6].slice(0, length)),
      close: async () => {},
    });
    const hid: NodeHIDModule = {
      devicesAsync: async () => [
        { path: '/dev/hidraw3', vendorId: 0x1209, productId: 7, release: 0x0100, product: 'DK Pad', manufacturer: 'DK' },
        { path: '/dev/hidraw3', vendorId: 0x1209, productId: 7, release: 0x0100 },
      ],
      HIDAsync: { open: async () => (openError ? Promise.reject(openError) : device) } as unknown as NodeHIDModule['HIDAsync'],
    };
    return { backend: new HIDRawBackend(hid, sysfs), device };
  }

  test('lists each node once with its descriptor, transport and location from sysfs', async () => {
    const { backend } = fixture();
    const [d, ...rest] = await backend.list();
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ path: '/dev/hidraw3', vendorId: 0x1209, productId: 7, versionNumber: 0x100, transport: 'USB', product: 'DK Pad' });
    expect([...d!.reportDescriptor]).toEqual([...unnumbered]);
    expect(d!.locationID).toBeGreaterThan(0);
  });

  test('frames unnumbered reports with hidapi\'s leading 0, passes input reports on, and reports removal', async () => {
    const { backend, device } = fixture();
    const h = await backend.open('/dev/hidraw3');
    const got: number[][] = [];
    h.onInputReport((r) => got.push([...r]));
    device.emit('data', Buffer.from([7, 8]));
    await h.setReport('output', Uint8Array.of(1, 2));
    await h.setReport('feature', Uint8Array.of(3));
    expect(await h.getReport('feature', 0, 2)).toEqual(Uint8Array.of(0, 5));
    await expect(h.getReport('input', 0, 2)).rejects.toMatchObject({ code: kIOReturnUnsupported });
    expect([got, device.written, device.features]).toEqual([[[7, 8]], [[0, 1, 2]], [[0, 3]]]);
    let removed = 0;
    h.onRemoved(() => removed++);
    device.emit('error', new Error('could not read from HID device'));
    device.emit('error', new Error('again'));
    expect(removed).toBe(1);
    await expect(h.setReport('output', Uint8Array.of(1))).rejects.toMatchObject({ code: kIOReturnNoDevice });
  });

  test('a permission error names the node and offers the udev rule that fixes it', async () => {
    const { backend } = fixture(new Error('cannot open device with path /dev/hidraw3: Permission denied'));
    await expect(backend.open('/dev/hidraw3')).rejects.toMatchObject({ code: kIOReturnNotPrivileged, message: expect.stringMatching(/cannot open \/dev\/hidraw3: .*Permission denied \(a udev rule can grant access: SUBSYSTEM=="hidraw", ATTRS\{idVendor\}=="1209"/) });
  });
});

describe('HIDDeviceOpeners', () => {
  test('a process opens devices through the backend a nub names, made once; one that failed to come up is made again; an unknown name says where the device lives', async () => {
    const devices = new VirtualHIDBackend();
    const path = devices.add(new VirtualHIDDevice(
      { vendorId: 0x1209, productId: 8, versionNumber: 1, manufacturer: 'DK', product: 'Pad', serialNumber: null, transport: 'Virtual', locationID: 2, reportDescriptor: unnumbered },
      { setReport: () => undefined, getReport: () => Uint8Array.of(0) },
    ));
    let made = 0;
    HIDDeviceOpeners.register('dk-test', async () => {
      if (++made === 1) throw new Error('no such bus yet');
      return devices;
    });
    expect(HIDDeviceOpeners.has('dk-test')).toBe(true);
    await expect(HIDDeviceOpeners.open('dk-test', path)).rejects.toThrow('no such bus yet');
    await HIDDeviceOpeners.open('dk-test', path).then((h) => h.close());
    await HIDDeviceOpeners.open('dk-test', path).then((h) => h.close());
    expect(made).toBe(2);

    expect(HIDDeviceOpeners.has('virtual')).toBe(false);
    await expect(HIDDeviceOpeners.open('virtual', path)).rejects.toMatchObject({ code: kIOReturnUnsupported, message: expect.stringMatching(/virtual HID devices live in the host/) });
  });
});
