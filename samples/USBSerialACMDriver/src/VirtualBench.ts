// The sample's device on the virtual bench (package.json "driverkit.virtualBench"): a CDC-ACM modem
// (a communication interface with its notification endpoint, a data interface with bulk IN and OUT)
// whose far end loops back: what the host sends comes back, and DTR comes back as DSR and DCD in a
// SERIAL_STATE notification. It prints the class requests it gets, so the host's log shows them.

import type { IOServiceHost } from '@driverkit/driverkit';
import { VirtualUSBDevice, kIOUSBEndpointTypeBulk, kIOUSBEndpointTypeInterrupt, kIOUSBHostConnectionSpeedHigh, VirtualUSBHost, type VirtualUSBDeviceModel } from '@driverkit/usbdriverkit';

export const kBenchVendorID = 0x1209;
export const kBenchProductID = 0x4143;

const log = (line: string) => console.log(`CDC-ACM device: ${line}`);
const NOTIFY = 0x83;
const BULK_IN = 0x81;
const BULK_OUT = 0x02;
const PACKET = 512;

export function cdcAcmModel(): VirtualUSBDeviceModel {
  return {
    device: { bDeviceClass: 0x02, idVendor: kBenchVendorID, idProduct: kBenchProductID, bcdDevice: 0x0100, iManufacturer: 1, iProduct: 2, iSerialNumber: 3 },
    strings: { 1: 'DriverKit', 2: 'Virtual Modem', 3: 'ACM-0001' },
    speed: kIOUSBHostConnectionSpeedHigh,
    configurations: [
      {
        bConfigurationValue: 1,
        interfaces: [
          {
            bInterfaceNumber: 0,
            bInterfaceClass: 0x02,
            bInterfaceSubClass: 0x02,
            bInterfaceProtocol: 0x01,
            // Header (CDC 1.10), call management, ACM (line coding, break), union (0 controls 1).
            extra: [Uint8Array.of(5, 0x24, 0x00, 0x10, 0x01), Uint8Array.of(5, 0x24, 0x01, 0x00, 0x01), Uint8Array.of(4, 0x24, 0x02, 0x06), Uint8Array.of(5, 0x24, 0x06, 0x00, 0x01)],
            endpoints: [{ bEndpointAddress: NOTIFY, bmAttributes: kIOUSBEndpointTypeInterrupt, wMaxPacketSize: 16, bInterval: 16 }],
          },
          {
            bInterfaceNumber: 1,
            bInterfaceClass: 0x0a,
            endpoints: [
              { bEndpointAddress: BULK_IN, bmAttributes: kIOUSBEndpointTypeBulk, wMaxPacketSize: PACKET },
              { bEndpointAddress: BULK_OUT, bmAttributes: kIOUSBEndpointTypeBulk, wMaxPacketSize: PACKET },
            ],
          },
        ],
      },
    ],
    control(setup, data, device) {
      if (setup.bmRequestType !== 0x21 && setup.bmRequestType !== 0xa1) return null;
      switch (setup.bRequest) {
        case 0x20: {
          const v = new DataView(data!.buffer, data!.byteOffset, 7);
          log(`SET_LINE_CODING ${v.getUint32(0, true)} baud, ${data![6]} data bits, parity ${data![5]}, stop ${['1', '1.5', '2'][data![4]!]}`);
          coding = Uint8Array.from(data!);
          return true;
        }
        case 0x21:
          return coding;
        case 0x22: {
          const dtr = (setup.wValue & 1) !== 0;
          log(`SET_CONTROL_LINE_STATE dtr=${dtr} rts=${(setup.wValue & 2) !== 0}`);
          // The loop: our DTR is the far end's DSR and DCD.
          device.send(NOTIFY, Uint8Array.of(0xa1, 0x20, 0, 0, 0, 0, 2, 0, dtr ? 0x03 : 0, 0));
          return true;
        }
        case 0x23:
          log(`SEND_BREAK ${setup.wValue === 0 ? 'off' : setup.wValue === 0xffff ? 'on' : `${setup.wValue} ms`}`);
          return true;
        default:
          return null;
      }
    },
    out(endpoint, data, device) {
      // Back a packet at a time, as a high-speed bulk endpoint sends.
      if (endpoint === BULK_OUT) for (let at = 0; at < data.length; at += PACKET) device.send(BULK_IN, data.subarray(at, at + PACKET));
    },
  };
}

let coding = Uint8Array.of(0x80, 0x25, 0, 0, 0, 0, 8);

/** Plugs the modem in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const usb = VirtualUSBHost.of(host);
  const device = usb.attach(new VirtualUSBDevice(cdcAcmModel()));
  return async () => usb.detach(device);
}
