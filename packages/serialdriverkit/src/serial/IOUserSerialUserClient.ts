import { IOUserClient, kIOReturnSuccess, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSObject } from '@driverkit/driverkit';
import type { IOUserSerial } from './IOUserSerial';

/** The port user client's selectors. */
export const kIOUserSerialSetModemLines = 0;
export const kIOUserSerialGetModemStatus = 1;
export const kIOUserSerialSendBreak = 2;

const call = (t: OSObject) => t as IOUserSerialUserClient;
const methods: IOUserClientMethodDispatch[] = [
  // SetModemLines(dtr, rts): TIOCMSET's DTR and RTS.
  { function: (t, _r, a) => call(t).setModemLines(a), checkCompletionExists: 0, checkScalarInputCount: 2, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
  // GetModemStatus → cts, dsr, ri, dcd: TIOCMGET.
  { function: (t, _r, a) => call(t).getModemStatus(a), checkCompletionExists: 0, checkScalarInputCount: 0, checkStructureInputSize: 0, checkScalarOutputCount: 4, checkStructureOutputSize: 0 },
  // SendBreak(on): TIOCSBRK / TIOCCBRK.
  { function: (t, _r, a) => call(t).sendBreak(a), checkCompletionExists: 0, checkScalarInputCount: 1, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
];

/**
 * What an app opens on a published port for what a pseudo-terminal cannot carry: the modem lines
 * and breaks. On macOS these are ioctls on the tty that IOSerialBSDClient passes to the driver; here
 * the app calls them through this user client (`@driverkit/serialdriverkit/client`). Each runs in
 * order with the port's other hardware hooks.
 */
export class IOUserSerialUserClient extends IOUserClient {
  constructor(readonly port: IOUserSerial) {
    super();
  }

  override async ExternalMethod(selector: bigint, args: IOUserClientMethodArguments, _dispatch: IOUserClientMethodDispatch | null, _target: OSObject | null, reference: unknown): Promise<number> {
    return super.ExternalMethod(selector, args, selector < BigInt(methods.length) ? methods[Number(selector)]! : null, this, reference);
  }

  /** @internal */
  async setModemLines(a: IOUserClientMethodArguments): Promise<number> {
    const [dtr, rts] = a.scalarInput!;
    await this.port.hardware(() => this.port.HwProgramMCR(dtr !== 0n, rts !== 0n));
    return kIOReturnSuccess;
  }

  /** @internal */
  async getModemStatus(a: IOUserClientMethodArguments): Promise<number> {
    const s = await this.port.hardware(() => this.port.HwGetModemStatus());
    a.scalarOutput = [s.cts, s.dsr, s.ri, s.dcd].map((b) => (b ? 1n : 0n));
    return kIOReturnSuccess;
  }

  /** @internal */
  async sendBreak(a: IOUserClientMethodArguments): Promise<number> {
    await this.port.hardware(() => this.port.HwSendBreak(a.scalarInput![0] !== 0n));
    return kIOReturnSuccess;
  }
}
