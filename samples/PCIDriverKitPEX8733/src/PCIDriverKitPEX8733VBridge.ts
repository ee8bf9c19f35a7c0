//
//  PCIDriverKitPEX8733VBridge.ts
//  PCIDriverKitPEX8733VBridge
//
//  Apple's PCIDriverKitPEX8733VBridge.cpp (IOPCIFamily, PEX8733/), ported: the switch's virtual bridge,
//  whose driver only turns bus lead and memory space on at Start and off at Stop.
//
import { IOReturnError, IOService, OSDynamicCast, kIOReturnNoDevice } from '@driverkit/driverkit';
import { IOPCIDevice, kIOPCICommandBusLead, kIOPCICommandMemorySpace, kIOPCIConfigurationOffsetCommand } from '@driverkit/pcidriverkit';

const debugLog = (fn: string, message: string) => console.log(`PCIDriverKitPEX8733VBridge::${fn}:  ${message}`);

interface PCIDriverKitPEX8733VBridge_IVars {
  pciDevice: IOPCIDevice | null;
  vendorCapabilityID: number;
}

export class PCIDriverKitPEX8733VBridge extends IOService {
  ivars!: PCIDriverKitPEX8733VBridge_IVars;

  override init(): boolean {
    if (super.init() !== true) {
      return false;
    }

    this.ivars = { pciDevice: null, vendorCapabilityID: 0 };

    return true;
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);

    this.ivars.pciDevice = OSDynamicCast(IOPCIDevice, provider);
    if (this.ivars.pciDevice === null) {
      await this.Stop(provider);
      throw new IOReturnError(kIOReturnNoDevice, `${provider.getName()} is not an IOPCIDevice`);
    }
    this.ivars.pciDevice.retain();

    try {
      await this.ivars.pciDevice.Open(this, 0);
    } catch (e) {
      await this.Stop(provider);
      throw new IOReturnError(kIOReturnNoDevice, `cannot open ${provider.getName()}: ${(e as Error).message}`, { cause: e });
    }

    debugLog('Start', 'enabling bus lead and memory space');
    const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
    this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command | kIOPCICommandBusLead | kIOPCICommandMemorySpace);
  }

  override async Stop(provider: IOService): Promise<void> {
    debugLog('Stop', 'disabling bus lead and memory space');
    if (this.ivars.pciDevice !== null) {
      const command = this.ivars.pciDevice.ConfigurationRead16(kIOPCIConfigurationOffsetCommand);
      this.ivars.pciDevice.ConfigurationWrite16(kIOPCIConfigurationOffsetCommand, command & ~(kIOPCICommandBusLead | kIOPCICommandMemorySpace));
    }
    this.ivars.pciDevice?.release();
    this.ivars.pciDevice = null;
    await super.Stop(provider);
  }
}
