// The bench device, shared by the bench's host and by a driver process that opens it itself (the
// located case): interrupt IN 0x81 answering 8-byte reports at once, bulk IN 0x82 answering 64 KiB.
const report = new Uint8Array(8).fill(1);
const payload = new Uint8Array(64 * 1024).fill(0xa5);

export const benchDeviceModel = {
  device: { idVendor: 0x1209, idProduct: 0xbe0c },
  configurations: [{ interfaces: [{ bInterfaceNumber: 0, bInterfaceClass: 0xff, endpoints: [{ bEndpointAddress: 0x81, bmAttributes: 3, wMaxPacketSize: 8, bInterval: 1 }, { bEndpointAddress: 0x82, bmAttributes: 2, wMaxPacketSize: 512 }] }] }],
  in: (ep) => (ep === 0x81 ? report : payload),
};

/**
 * The bench device as a located backend (what LibUSBBackend is for real devices): a driver process
 * given its locator makes this device in its own process and drives it there.
 */
export class LocatedBenchBackend {
  static async create() {
    const { VirtualUSBHost } = await import('@driverkit/usbdriverkit');
    const bus = new VirtualUSBHost(0x82);
    const device = bus.attach(benchDeviceModel);
    return { name: 'located-bench', list: () => bus.list(), watch: (f) => bus.watch(f), open: () => bus.open(device.id) };
  }
}
