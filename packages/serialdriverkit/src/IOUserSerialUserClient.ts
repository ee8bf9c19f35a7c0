import { IOReturnError, IOUserClient, kIOReturnBadArgument, kIOReturnSuccess, type IOUserClientMethodArguments, type IOUserClientMethodDispatch, type OSObject } from '@driverkit/driverkit';
import type { IOUserSerial } from './IOUserSerial';
import { PD_RS232_PARITY_NONE, PD_RS232_PARITY_SPACE } from './SerialDriverKitConstants';

/** The port user client's selectors. */
export const kIOUserSerialSetModemLines = 0;
export const kIOUserSerialGetModemStatus = 1;
export const kIOUserSerialSendBreak = 2;
export const kIOUserSerialSetLatencyTimer = 3;
export const kIOUserSerialSetDataFormat = 4;

const call = (t: OSObject) => t as IOUserSerialUserClient;
const methods: IOUserClientMethodDispatch[] = [
  // SetModemLines(dtr, rts): TIOCMSET's DTR and RTS.
  { function: (t, _r, a) => call(t).setModemLines(a), checkCompletionExists: 0, checkScalarInputCount: 2, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
  // GetModemStatus → cts, dsr, ri, dcd: TIOCMGET.
  { function: (t, _r, a) => call(t).getModemStatus(a), checkCompletionExists: 0, checkScalarInputCount: 0, checkStructureInputSize: 0, checkScalarOutputCount: 4, checkStructureOutputSize: 0 },
  // SendBreak(on): TIOCSBRK / TIOCCBRK.
  { function: (t, _r, a) => call(t).sendBreak(a), checkCompletionExists: 0, checkScalarInputCount: 1, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
  // SetLatencyTimer(µs): macOS's IOSSDATALAT.
  { function: (t, _r, a) => call(t).setLatencyTimer(a), checkCompletionExists: 0, checkScalarInputCount: 1, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
  // SetDataFormat(dataBits, parity): what a pty's termios cannot carry (Linux forces CS8, no parity).
  { function: (t, _r, a) => call(t).setDataFormat(a), checkCompletionExists: 0, checkScalarInputCount: 2, checkStructureInputSize: 0, checkScalarOutputCount: 0, checkStructureOutputSize: 0 },
];

/**
 * What an app opens on a published port for what a pseudo-terminal cannot carry: the modem lines,
 * breaks, the latency timer, and data bits and parity. On macOS these are ioctls on the tty that IOSerialBSDClient passes to the driver; here
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
  async setLatencyTimer(a: IOUserClientMethodArguments): Promise<number> {
    const us = a.scalarInput[0]!;
    if (us > 0xffff_ffffn) throw new IOReturnError(kIOReturnBadArgument, `SetLatencyTimer: ${us} µs does not fit 32 bits`);
    await this.port.hardware(() => this.port.HwProgramLatencyTimer(Number(us)));
    return kIOReturnSuccess;
  }

  /** @internal */
  async setDataFormat(a: IOUserClientMethodArguments): Promise<number> {
    const [dataBits, parity] = a.scalarInput.map(Number);
    if (!(dataBits! >= 5 && dataBits! <= 8)) throw new IOReturnError(kIOReturnBadArgument, `SetDataFormat: ${dataBits} data bits; 5…8 expected`);
    if (!(parity! >= PD_RS232_PARITY_NONE && parity! <= PD_RS232_PARITY_SPACE)) throw new IOReturnError(kIOReturnBadArgument, `SetDataFormat: parity ${parity} is none of PD_RS232_PARITY_NONE…SPACE (${PD_RS232_PARITY_NONE}…${PD_RS232_PARITY_SPACE})`);
    await this.port.setDataFormat(dataBits!, parity!);
    return kIOReturnSuccess;
  }

  /** @internal */
  async sendBreak(a: IOUserClientMethodArguments): Promise<number> {
    await this.port.hardware(() => this.port.HwSendBreak(a.scalarInput![0] !== 0n));
    return kIOReturnSuccess;
  }
}
