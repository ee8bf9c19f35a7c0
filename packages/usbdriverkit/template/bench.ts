// The driver's device on the virtual bench (package.json "driverkit.virtualBench"): a vendor-class
// device with a bulk OUT and a bulk IN endpoint that echoes whatever it receives.
import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualUSBDevice, kIOUSBEndpointTypeBulk, VirtualUSBHost } from '@driverkit/usbdriverkit';

/** Plugs the device in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const usb = VirtualUSBHost.of(host);
  const device = usb.attach(
    new VirtualUSBDevice(
      {
        device: { idVendor: 0x1209, idProduct: 0x0001, bcdDevice: 0x0100, iManufacturer: 1, iProduct: 2 },
        strings: { 1: 'DriverKit', 2: 'DriverKit Virtual Device' },
        configurations: [
          {
            bConfigurationValue: 1,
            interfaces: [
              {
                bInterfaceNumber: 0,
                bInterfaceClass: 0xff,
                endpoints: [
                  { bEndpointAddress: 0x01, bmAttributes: kIOUSBEndpointTypeBulk, wMaxPacketSize: 512 },
                  { bEndpointAddress: 0x81, bmAttributes: kIOUSBEndpointTypeBulk, wMaxPacketSize: 512 },
                ],
              },
            ],
          },
        ],
        // What comes out on 0x01 goes back in on 0x81.
        out: (endpointAddress, data, device) => {
          if (endpointAddress === 0x01) device.send(0x81, data);
        },
      },
    ),
  );
  return async () => usb.detach(device);
}
