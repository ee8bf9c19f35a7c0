// Guest tier: the family's libusb backend and session on a real kernel — sysfs enumeration of a
// FunctionFS gadget served by a device model, Open/CopyPipe/IO, a stall, and unplug.
import { IOBufferMemoryDescriptor, IOService, IOServiceHost, isIOReturnError, kIOMemoryDirectionInOut } from '@driverkit/driverkit';
import { IOUSBGetNextEndpointDescriptor, IOUSBHostDevice, IOUSBHostInterface, LibUSBBackend, USBHostController, USBMatchingFamily, kUSBHostReturnPipeStalled } from '../src/index';

test('the libusb backend publishes the gadget, and pipes move data through it until it is unplugged', async () => {
  const { FunctionFsGadget } = await import('../../../scripts/guest/helpers/FunctionFsGadget');
  const gadget = FunctionFsGadget.create({
    name: 'dk_backend',
    idVendor: 0x1209,
    idProduct: 0x0006,
    product: 'DriverKit backend',
    model: {
      interfaceClass: 0xff,
      interfaceSubClass: 0,
      interfaceProtocol: 0,
      interfaceName: 'backend model',
      endpoints: [
        { direction: 'out', type: 'bulk' },
        { direction: 'in', type: 'bulk' },
      ],
      control: (setup) => (setup.bRequest === 1 ? Buffer.from('hello') : null),
      received: (_i, data, g) => void g.send(1, Buffer.from(data).reverse()),
    },
  });
  const host = new IOServiceHost({ mode: 'in-process', log: () => {} });
  host.registerFamily(USBMatchingFamily);
  const backend = await LibUSBBackend.create();
  const controller = new USBHostController(host, [backend]);
  let removed = false;
  try {
    let device: IOUSBHostDevice | undefined;
    for (let i = 0; i < 100 && !device; i++) {
      await controller.sync(backend);
      device = controller.nubs().find((n) => n instanceof IOUSBHostDevice && String(n.getProperty('idProduct')) === '6') as IOUSBHostDevice | undefined;
      if (!device) await new Promise((r) => setTimeout(r, 100));
    }
    expect(device).toBeDefined();
    expect(String(device!.getProperty('USB Product Name'))).toBe('DriverKit backend');
    const iface = controller.nubs().find((n) => n instanceof IOUSBHostInterface && n.getParentEntry() === device) as IOUSBHostInterface;
    expect(String(iface.getProperty('bInterfaceClass'))).toBe('255');
    const client = new IOService();
    client.init();
    await iface.Open(client);
    const buf = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 512);
    expect(await iface.DeviceRequest(0xc1, 1, 0, Number(String(iface.getProperty('bInterfaceNumber'))), 64, buf)).toBe(5);
    expect(Buffer.from(buf.readBytes(0, 5)).toString()).toBe('hello');
    const stall = await iface.DeviceRequest(0xc1, 2, 0, 0, 64, buf).then(() => 0, (e) => (isIOReturnError(e) ? e.code : -1));
    expect(stall).toBe(kUSBHostReturnPipeStalled);
    const cfg = await iface.CopyConfigurationDescriptor();
    const eps: number[] = [];
    const d = iface.GetInterfaceDescriptor(cfg);
    for (let e = IOUSBGetNextEndpointDescriptor(cfg, d, null); e; e = IOUSBGetNextEndpointDescriptor(cfg, d, e)) eps.push(e.bEndpointAddress);
    const out = await iface.CopyPipe(eps.find((e) => !(e & 0x80))!);
    const inp = await iface.CopyPipe(eps.find((e) => e & 0x80)!);
    buf.writeBytes(0, Buffer.from('abcdef'));
    expect(await out.IO(buf, 6, 2000)).toBe(6);
    expect(await inp.IO(buf, 512, 2000)).toBe(6);
    expect(Buffer.from(buf.readBytes(0, 6)).toString()).toBe('fedcba');
    gadget.remove();
    removed = true;
    // Unplugged under the pipe: the transfer fails (libusb reports no device, or an I/O error as it goes).
    const gone = await inp.IO(buf, 512, 2000).then(() => 0, (e) => (isIOReturnError(e) ? e.code : -1));
    expect(gone).not.toBe(0);
    await controller.sync(backend);
    expect(controller.nubs().some((n) => String(n.getProperty('idProduct')) === '6')).toBe(false);
  } finally {
    if (!removed) gadget.remove();
    await controller.stop();
    await host.stop();
  }
}, 60_000);
