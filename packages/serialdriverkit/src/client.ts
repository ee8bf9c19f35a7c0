/**
 * `@driverkit/serialdriverkit/client`: the app side of a published serial port, for what its tty
 * cannot carry (a pseudo-terminal has no modem lines and no break). Open the port's service with
 * `IOServiceOpen` (from `@driverkit/driverkit/client`), then call these; the data itself goes
 * through the tty (`IOCalloutDevice`) with any serial library.
 * @packageDocumentation
 */
import { IOConnectCallScalarMethod, type IOConnection } from '@driverkit/driverkit/client';
import { kIOUserSerialGetModemStatus, kIOUserSerialSendBreak, kIOUserSerialSetDataFormat, kIOUserSerialSetLatencyTimer, kIOUserSerialSetModemLines } from './IOUserSerialUserClient';
import type { IOSerialModemStatus } from './IOUserSerial';

export type { IOSerialModemStatus } from './IOUserSerial';
export { PD_RS232_PARITY_NONE, PD_RS232_PARITY_ODD, PD_RS232_PARITY_EVEN, PD_RS232_PARITY_MARK, PD_RS232_PARITY_SPACE } from './SerialDriverKitConstants';

/** Sets DTR and RTS (TIOCMSET): the driver's HwProgramMCR. */
export async function IOSerialSetModemLines(connect: IOConnection, lines: { dtr: boolean; rts: boolean }): Promise<void> {
  await IOConnectCallScalarMethod(connect, kIOUserSerialSetModemLines, [lines.dtr ? 1 : 0, lines.rts ? 1 : 0], 0);
}

/** Reads CTS, DSR, RI and DCD (TIOCMGET): the driver's HwGetModemStatus. */
export async function IOSerialGetModemStatus(connect: IOConnection): Promise<IOSerialModemStatus> {
  const [cts, dsr, ri, dcd] = await IOConnectCallScalarMethod(connect, kIOUserSerialGetModemStatus, [], 4);
  return { cts: cts === 1n, dsr: dsr === 1n, ri: ri === 1n, dcd: dcd === 1n };
}

/** Starts or ends a break (TIOCSBRK / TIOCCBRK): the driver's HwSendBreak. */
export async function IOSerialSendBreak(connect: IOConnection, on: boolean): Promise<void> {
  await IOConnectCallScalarMethod(connect, kIOUserSerialSendBreak, [on ? 1 : 0], 0);
}

/** Sets the latency timer in µs (macOS's IOSSDATALAT): the driver's HwProgramLatencyTimer. */
export async function IOSerialSetLatencyTimer(connect: IOConnection, microseconds: number): Promise<void> {
  await IOConnectCallScalarMethod(connect, kIOUserSerialSetLatencyTimer, [microseconds], 0);
}

/**
 * Sets data bits (5…8) and parity (PD_RS232_PARITY_NONE…SPACE): the driver's HwProgramUART. A
 * pseudo-terminal cannot carry these (Linux forces 8 bits, no parity on every tcsetattr); once set
 * here they hold until the port stops, whatever the tty's termios says.
 */
export async function IOSerialSetDataFormat(connect: IOConnection, dataBits: number, parity: number): Promise<void> {
  await IOConnectCallScalarMethod(connect, kIOUserSerialSetDataFormat, [dataBits, parity], 0);
}
