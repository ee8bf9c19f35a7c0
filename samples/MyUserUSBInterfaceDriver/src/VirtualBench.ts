// The sample's device on the virtual bench (package.json "driverkit.virtualBench"): a vendor-class
// interface with an interrupt IN endpoint that answers each poll with an 8-byte report 50 ms later,
// as a sensor polled by its driver would. With USB_REPLAY=<capture> in the environment, the first
// device of that capture (pcap/pcapng: usbmon, USBPcap or USB 2.0 packets) is replayed instead.

import type { IOServiceHost } from '@driverkit/driverkit';
import { USBCapture, USBReplay, VirtualUSBDevice, kIOUSBEndpointTypeInterrupt, VirtualUSBHost, type VirtualUSBDeviceModel } from '@driverkit/usbdriverkit';

export const kBenchVendorID = 0x1209;
export const kBenchProductID = 0x5553;

export const benchDeviceModel: VirtualUSBDeviceModel = {
  device: { idVendor: kBenchVendorID, idProduct: kBenchProductID, bcdDevice: 0x0100, iManufacturer: 1, iProduct: 2, iSerialNumber: 3 },
  strings: { 1: 'DriverKit', 2: 'Virtual Sensor', 3: 'BENCH-0001' },
  configurations: [
    {
      bConfigurationValue: 1,
      interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 0xff, bInterfaceSubClass: 0, endpoints: [{ bEndpointAddress: 0x81, bmAttributes: kIOUSBEndpointTypeInterrupt, wMaxPacketSize: 8, bInterval: 10 }] }],
    },
  ],
};

/** Plugs the bench device in; returns what unplugs it. */
export default async function attach(host: IOServiceHost): Promise<() => Promise<void>> {
  const usb = VirtualUSBHost.of(host);
  const recording = process.env.USB_REPLAY;
  if (recording) {
    const capture = USBCapture.fromFile(recording);
    const [first] = capture.devices();
    if (!first) throw new Error(`${recording} holds no enumerated device`);
    const replayed = usb.attach(new USBReplay(capture, first.bus, first.address).model);
    return async () => usb.detach(replayed);
  }
  const device = usb.attach(new VirtualUSBDevice(benchDeviceModel));
  let sample = 0;
  const timer = setInterval(() => {
    if (device.waiting(0x81) === 0) return;
    const report = new Uint8Array(8);
    new DataView(report.buffer).setUint32(0, ++sample, true);
    new DataView(report.buffer).setUint16(4, Math.round(2048 + 1000 * Math.sin(sample / 10)), true);
    device.send(0x81, report);
  }, 50);
  return async () => {
    clearInterval(timer);
    usb.detach(device);
  };
}
