import { kIOReturnNotReady, type IOService } from '@driverkit/driverkit';
import { IOUSBHostDevice, VirtualUSBHost as MainVirtualUSBHost } from '@driverkit/usbdriverkit';
import { USBTestBench, VirtualUSBDevice, VirtualUSBHost, type VirtualUSBDeviceModel } from '@driverkit/usbdriverkit/testing';
import { waitFor } from '../../test/helpers';

const model = (idProduct: number): VirtualUSBDeviceModel => ({
  device: { idVendor: 0x1209, idProduct },
  configurations: [{ bConfigurationValue: 1, interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 0xff, endpoints: [] }] }],
});

const products = (bench: USBTestBench) =>
  bench.host
    .nubs()
    .filter((n: IOService) => n instanceof IOUSBHostDevice && !n.isInactive())
    .map((n) => Number(n.getProperty('idProduct')?.toString()));

test('each test bench is a host on its own virtual bus: devices, reset and stop stay with it', async () => {
  const a = await USBTestBench.create();
  const b = await USBTestBench.create();
  try {
    // The testing entry and the package's main entry are one class: a bench's bus is the host's.
    expect(VirtualUSBHost).toBe(MainVirtualUSBHost);
    expect(VirtualUSBHost.of(a.host)).toBe(a.usb);
    expect(VirtualUSBHost.of(b.host)).toBe(b.usb);
    a.usb.attach(new VirtualUSBDevice(model(1)));
    a.usb.attach(model(2));
    b.usb.attach(model(3));
    await waitFor(() => products(a).length === 2 && products(b).length === 1, 3000, 'the benches’ devices');
    expect(products(a).sort()).toEqual([1, 2]);
    expect(products(b)).toEqual([3]);
    a.reset();
    await waitFor(() => products(a).length === 0, 3000, 'reset to unplug a’s devices');
    expect(products(b)).toEqual([3]);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(b.usb.devices()).toEqual([]);
  expect(() => VirtualUSBHost.of(a.host)).toThrow(expect.objectContaining({ code: kIOReturnNotReady, message: expect.stringContaining("the USB family's plugin is not registered on it") }));
});
