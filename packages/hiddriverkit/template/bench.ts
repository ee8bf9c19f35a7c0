// The driver's device on the virtual bench (package.json "driverkit.virtualBench"): a vendor-defined
// HID device whose 2-byte input report (a counter, then 0x42) comes every 50 ms while it is open.
import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualHIDDevice, VirtualHIDBackend } from '@driverkit/hiddriverkit';

// Usage page 0xff00, usage 1, an application collection with two 8-bit input fields.
const reportDescriptor = Uint8Array.from([0x06, 0x00, 0xff, 0x09, 0x01, 0xa1, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08, 0x95, 0x02, 0x09, 0x01, 0x81, 0x02, 0xc0]);

/** Plugs the device in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const hid = VirtualHIDBackend.of(host);
  const device = new VirtualHIDDevice({ vendorId: 0x1209, productId: 0x0002, versionNumber: 0x0100, manufacturer: 'DriverKit', product: 'DriverKit Virtual Buttons', serialNumber: null, transport: 'Virtual', locationID: 0x2000, reportDescriptor });
  const path = hid.add(device);
  let n = 0;
  const timer = setInterval(() => {
    if (device.isOpen()) device.sendInput(Uint8Array.of(++n & 0xff, 0x42));
  }, 50);
  return async () => {
    clearInterval(timer);
    hid.remove(path);
  };
}
