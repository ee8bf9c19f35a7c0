// __NAME__: a PCI driver in Apple's shape. Start opens the IOPCIDevice the personality matched
// (IOPCIPrimaryMatch in Info.plist) and reads its identity from configuration space and BAR 0;
// Identity() is what the user client answers. Grow it from here: interrupts with
// IOInterruptDispatchSource, DMA with IODMACommand, as in the EduDriver and PEX8733 samples.
import { IOReturnError, IOService, OSDynamicCast, kIOReturnNoDevice } from '@driverkit/driverkit';
import {
  IOPCIDevice,
  kIOPCIConfigurationOffsetCommand,
  kIOPCIConfigurationOffsetDeviceID,
  kIOPCIConfigurationOffsetRevisionID,
  kIOPCIConfigurationOffsetVendorID,
  kIOPCICommandMemorySpace,
} from '@driverkit/pcidriverkit';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');

export class __NAME__ extends IOService {
  #device: IOPCIDevice | null = null;
  #identity = '';

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const device = OSDynamicCast(IOPCIDevice, provider);
    if (!device) throw new IOReturnError(kIOReturnNoDevice, `__NAME__: ${provider.getName()} is not an IOPCIDevice`);
    await device.Open(this, 0);
    this.#device = device;
    const vendor = device.ConfigurationRead16(kIOPCIConfigurationOffsetVendorID);
    const product = device.ConfigurationRead16(kIOPCIConfigurationOffsetDeviceID);
    const revision = device.ConfigurationRead8(kIOPCIConfigurationOffsetRevisionID);
    const classCode = device.ConfigurationRead32(kIOPCIConfigurationOffsetRevisionID) >>> 8;
    // BAR 0 answers only with memory space decoding on.
    device.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, device.ConfigurationRead16(kIOPCIConfigurationOffsetCommand) | kIOPCICommandMemorySpace);
    // The edu's identification register: 0xRRrr00ed, major and minor version.
    const id = device.MemoryRead32(0, 0x00);
    this.#identity = `PCI ${hex(vendor, 4)}:${hex(product, 4)} rev 0x${hex(revision, 2)}, class 0x${hex(classCode, 6)}, edu ${id >>> 24}.${(id >>> 16) & 0xff}`;
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
    await this.#device?.Close(this, 0);
    this.#device = null;
    await super.Stop(provider);
  }
}
