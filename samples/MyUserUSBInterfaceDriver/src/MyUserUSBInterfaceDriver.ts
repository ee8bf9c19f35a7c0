// MyUserUSBInterfaceDriver: the USB interface driver that Apple's article "Creating a driver using the
// DriverKit SDK" walks through (it ships no project). It matches one interface of one device, opens
// it, copies its interrupt IN pipe, keeps one AsyncIO in flight and re-arms it from the completion,
// and stops by cancelling its action before super.Stop.

import { IOService, OSAction, OSData, OSDynamicCast, kIOMemoryDirectionIn, kIOReturnAborted, kIOReturnNoDevice, kIOReturnSuccess, type IOBufferMemoryDescriptor } from '@driverkit/driverkit';
import {
  IOUSBGetEndpointAddress,
  IOUSBGetEndpointDirection,
  IOUSBGetEndpointMaxPacketSize,
  IOUSBGetEndpointType,
  IOUSBGetNextEndpointDescriptor,
  IOUSBHostInterface,
  kIOUSBEndpointDirectionIn,
  kIOUSBEndpointTypeInterrupt,
  kUSBHostReturnPipeStalled,
  type IOUSBHostPipe,
} from '@driverkit/usbdriverkit';

const Log = (message: string) => console.log(`MyUserUSBInterfaceDriver - ${message}`);

interface MyUserUSBInterfaceDriver_IVars {
  interface: IOUSBHostInterface | null;
  inPipe: IOUSBHostPipe | null;
  ioCompleteCallback: OSAction | null;
  inData: IOBufferMemoryDescriptor | null;
  maxPacketSize: number;
  reports: number;
}

export class MyUserUSBInterfaceDriver extends IOService {
  ivars!: MyUserUSBInterfaceDriver_IVars;

  override init(): boolean {
    if (!super.init()) return false;
    this.ivars = { interface: null, inPipe: null, ioCompleteCallback: null, inData: null, maxPacketSize: 0, reports: 0 };
    return true;
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const iface = OSDynamicCast(IOUSBHostInterface, provider);
    if (!iface) throw new Error('the provider is not an IOUSBHostInterface');
    this.ivars.interface = iface;
    await iface.Open(this, 0, 0);

    // Find the interrupt IN endpoint, size the buffer by its max packet size (Apple's pipe setup).
    const configuration = await iface.CopyConfigurationDescriptor();
    const interfaceDescriptor = iface.GetInterfaceDescriptor(configuration);
    let endpoint = IOUSBGetNextEndpointDescriptor(configuration, interfaceDescriptor, null);
    while (endpoint && !(IOUSBGetEndpointType(endpoint) === kIOUSBEndpointTypeInterrupt && IOUSBGetEndpointDirection(endpoint) === kIOUSBEndpointDirectionIn)) {
      endpoint = IOUSBGetNextEndpointDescriptor(configuration, interfaceDescriptor, endpoint);
    }
    if (!endpoint) throw new Error(`interface ${interfaceDescriptor.bInterfaceNumber} has no interrupt IN endpoint`);
    this.ivars.inPipe = await iface.CopyPipe(IOUSBGetEndpointAddress(endpoint));
    this.ivars.maxPacketSize = IOUSBGetEndpointMaxPacketSize(this.ivars.inPipe.GetSpeed(), endpoint);
    this.ivars.inData = iface.CreateIOBuffer(kIOMemoryDirectionIn, this.ivars.maxPacketSize);

    this.ivars.ioCompleteCallback = OSAction.Create(this, 'ReadComplete', 0);
    this.ivars.inPipe.AsyncIO(this.ivars.inData, this.ivars.maxPacketSize, this.ivars.ioCompleteCallback, 0);
    Log(`Start() - reading endpoint 0x${IOUSBGetEndpointAddress(endpoint).toString(16)}, ${this.ivars.maxPacketSize} bytes at a time`);
    this.RegisterService();
  }

  /** IOUSBHostPipe::CompleteAsyncIO: a report arrived (or the pipe stopped); re-arm the read. */
  async ReadComplete(_action: OSAction, status: number, actualByteCount: number, _completionTimestamp: bigint): Promise<void> {
    const { inPipe, inData, ioCompleteCallback } = this.ivars;
    if (!inPipe || !inData || !ioCompleteCallback) return;
    if (status === kIOReturnAborted || status === kIOReturnNoDevice) return; // stopping or unplugged: do not re-arm
    if (status === kUSBHostReturnPipeStalled) {
      Log('ReadComplete() - the pipe stalled; clearing it');
      await inPipe.ClearStall(true);
    } else if (status === kIOReturnSuccess) {
      this.ivars.reports += 1;
      const report = inData.readBytes(0, actualByteCount);
      this.setProperty('ReportCount', this.ivars.reports);
      this.setProperty('LastReport', OSData.withBytes(report));
    } else {
      Log(`ReadComplete() - status 0x${(status >>> 0).toString(16)}`);
    }
    inPipe.AsyncIO(inData, this.ivars.maxPacketSize, ioCompleteCallback, 0);
  }

  override async Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    const { inPipe, ioCompleteCallback, interface: iface } = this.ivars;
    // Cancel the action first, so no completion re-arms the read; then abort what is in flight.
    await new Promise<void>((resolve) => (ioCompleteCallback ? ioCompleteCallback.Cancel(resolve) : resolve()));
    await inPipe?.Abort().catch(() => {});
    await iface?.Close(this).catch(() => {});
    await super.Stop(provider);
  }

  override free(): void {
    this.ivars?.ioCompleteCallback?.release();
    this.ivars?.inPipe?.release();
    this.ivars?.inData?.release();
    super.free();
  }
}
