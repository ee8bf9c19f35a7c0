// __NAME__: a HID driver in Apple's shape. Start opens the IOHIDInterface the personality matched
// (VendorID and ProductID in Info.plist) with a ReportAvailable action, which receives each input
// report; Identity() is what the user client answers. For keyboards, pointers and digitizers, subclass
// IOUserHIDEventService instead, as the HIDKeyboardDriver and HIDStylusDriver samples do.
import { IOReturnError, IOService, OSAction, OSDynamicCast, OSNumber, OSString, kIOReturnNoDevice, type IOMemoryDescriptor } from '@driverkit/driverkit';
import { IOHIDInterface } from '@driverkit/hiddriverkit';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);
const hex = (n: number) => n.toString(16).padStart(4, '0');

export class __NAME__ extends IOService {
  #interface: IOHIDInterface | null = null;
  #reports = 0;
  #last: Uint8Array = new Uint8Array(0);

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const hid = OSDynamicCast(IOHIDInterface, provider);
    if (!hid) throw new IOReturnError(kIOReturnNoDevice, `__NAME__: ${provider.getName()} is not an IOHIDInterface`);
    const action = OSAction.Create(this, 'ReportAvailable');
    await hid.Open(this, 0, action);
    action.release();
    this.#interface = hid;
    Log(`Start() - ${this.Identity()}`);
    this.RegisterService();
  }

  /** IOHIDInterface's ReportAvailable: an input report, in a buffer of the interface's report pool. */
  ReportAvailable(_action: OSAction, _timestamp: bigint, _reportID: number, reportLength: number, _type: number, report: IOMemoryDescriptor): void {
    this.#reports += 1;
    // The buffer goes back to the pool when this returns: keep a copy.
    this.#last = report.readBytes(0, reportLength);
  }

  /** What the device is and what it sent, for the user client. */
  Identity(): string {
    const p = this.GetProvider()!;
    const number = (key: string) => (p.getProperty(key) as OSNumber | null)?.unsigned32BitValue() ?? 0;
    const name = (p.getProperty('Product') as OSString | null)?.getCStringNoCopy() ?? 'unnamed';
    const last = [...this.#last].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
    return `HID ${hex(number('VendorID'))}:${hex(number('ProductID'))} "${name}", usage 0x${number('PrimaryUsagePage').toString(16)}:0x${number('PrimaryUsage').toString(16)}, input reports of ${number('MaxInputReportSize')} bytes, ${this.#reports} received, last ${last}`;
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
