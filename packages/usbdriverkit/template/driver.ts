// __NAME__: a USB interface driver in Apple's shape. Start opens the IOUSBHostInterface the
// personality matched (idVendor, idProduct, bInterfaceNumber in Info.plist), finds its bulk pipes,
// and sends a message out and reads it back; Identity() is what the user client answers. Grow it
// from here: AsyncIO with OSAction completions, as in the MyUserUSBInterfaceDriver sample.
import { IOReturnError, IOService, OSDictionary, OSDynamicCast, OSNumber, OSString, kIOMemoryDirectionIn, kIOMemoryDirectionOut, kIOReturnNoDevice } from '@driverkit/driverkit';
import {
  IOUSBGetEndpointAddress,
  IOUSBGetEndpointDirection,
  IOUSBGetEndpointType,
  IOUSBGetNextEndpointDescriptor,
  IOUSBHostInterface,
  kIOUSBEndpointDirectionIn,
  kIOUSBEndpointTypeBulk,
} from '@driverkit/usbdriverkit';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);
const hex = (n: number) => n.toString(16).padStart(4, '0');

export class __NAME__ extends IOService {
  #interface: IOUSBHostInterface | null = null;
  #identity = '';

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const iface = OSDynamicCast(IOUSBHostInterface, provider);
    if (!iface) throw new IOReturnError(kIOReturnNoDevice, `__NAME__: ${provider.getName()} is not an IOUSBHostInterface`);
    await iface.Open(this, 0, 0);
    this.#interface = iface;

    const configuration = await iface.CopyConfigurationDescriptor();
    const descriptor = iface.GetInterfaceDescriptor(configuration);
    let inAddress = 0;
    let outAddress = 0;
    for (let e = IOUSBGetNextEndpointDescriptor(configuration, descriptor, null); e; e = IOUSBGetNextEndpointDescriptor(configuration, descriptor, e)) {
      if (IOUSBGetEndpointType(e) !== kIOUSBEndpointTypeBulk) continue;
      if (IOUSBGetEndpointDirection(e) === kIOUSBEndpointDirectionIn) inAddress = IOUSBGetEndpointAddress(e);
      else outAddress = IOUSBGetEndpointAddress(e);
    }
    if (!inAddress || !outAddress) throw new IOReturnError(kIOReturnNoDevice, `__NAME__: interface ${descriptor.bInterfaceNumber} has no bulk IN and OUT pipes`);

    // One message out and back: the bench's device echoes what it receives.
    const message = new TextEncoder().encode(`hello from __NAME__`);
    const outPipe = await iface.CopyPipe(outAddress);
    const inPipe = await iface.CopyPipe(inAddress);
    const out = iface.CreateIOBuffer(kIOMemoryDirectionOut, message.length);
    out.GetBytes().set(message);
    await outPipe.IO(out, message.length, 1000);
    const back = iface.CreateIOBuffer(kIOMemoryDirectionIn, 512);
    const echoed = await inPipe.IO(back, 512, 1000);
    outPipe.release();
    inPipe.release();

    const vendor = (provider.getProperty('idVendor') as OSNumber).unsigned16BitValue();
    const product = (provider.getProperty('idProduct') as OSNumber).unsigned16BitValue();
    // The product string is the device's, the interface's provider: ask up the chain.
    const chain = await this.CopyProviderProperties(['USB Product Name']);
    const found = [...chain].map((d) => (d as OSDictionary).getObject('USB Product Name')).find((s): s is OSString => s instanceof OSString);
    const name = found?.getCStringNoCopy() ?? 'unnamed';
    chain.release();
    this.#identity = `USB ${hex(vendor)}:${hex(product)} "${name}", interface ${descriptor.bInterfaceNumber} (class 0x${descriptor.bInterfaceClass.toString(16)}, ${descriptor.bNumEndpoints} endpoints), echoed ${echoed} bytes`;
    Log(`Start() - ${this.#identity}`);
    this.RegisterService();
  }

  /** What the device is, for the user client. */
  Identity(): string {
    return this.#identity;
  }

  override async NewUserClient(_type: number): Promise<IOService> {
    return this.Create(this, 'UserClientProperties');
  }

  override async Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    await this.#interface?.Close(this, 0);
    this.#interface = null;
    await super.Stop(provider);
  }
}
