// struct termios2 (asm-generic/termbits.h) as TCGETS2 / TCSETS2 read and write it, and the line
// settings a serial driver cares about.
import { PD_RS232_A_CTS, PD_RS232_A_RFR, PD_RS232_A_RXO, PD_RS232_A_TXO, PD_RS232_A_XANY, PD_RS232_PARITY_EVEN, PD_RS232_PARITY_MARK, PD_RS232_PARITY_NONE, PD_RS232_PARITY_ODD, PD_RS232_PARITY_SPACE } from '../SerialDriverKitConstants';

export const TERMIOS2_SIZE = 44;
export const TCGETS2 = 0x802c542a;
export const TCSETS2 = 0x402c542b;
export const TIOCPKT = 0x5420;

// c_iflag
const IXON = 0o2000;
const IXANY = 0o4000;
const IXOFF = 0o10000;
// c_cflag
const CSIZE = 0o60;
const CSTOPB = 0o100;
const PARENB = 0o400;
const PARODD = 0o1000;
const CMSPAR = 0o10000000000;
const CRTSCTS = 0o20000000000;
// c_lflag
export const EXTPROC = 0o200000;
// c_cc
const VSTART = 8;
const VSTOP = 9;

/** What HwProgramUART and HwProgramFlowControl are told. */
export interface SerialLineSettings {
  baudRate: number;
  dataBits: number;
  /** Stop bits in halves: 2 for one, 4 for two (Apple's nHalfStopBits). */
  halfStopBits: number;
  /** A PD_RS232_PARITY_* value. */
  parity: number;
  /** PD_RS232_A_* bits. */
  flowControl: number;
  xon: number;
  xoff: number;
}

/** The line settings a termios2 holds. */
export function lineSettingsOf(termios: Uint8Array): SerialLineSettings {
  const v = new DataView(termios.buffer, termios.byteOffset, TERMIOS2_SIZE);
  const iflag = v.getUint32(0, true);
  const cflag = v.getUint32(8, true);
  let parity = PD_RS232_PARITY_NONE;
  if (cflag & PARENB) {
    if (cflag & CMSPAR) parity = cflag & PARODD ? PD_RS232_PARITY_MARK : PD_RS232_PARITY_SPACE;
    else parity = cflag & PARODD ? PD_RS232_PARITY_ODD : PD_RS232_PARITY_EVEN;
  }
  let flowControl = 0;
  if (iflag & IXON) flowControl |= PD_RS232_A_TXO;
  if (iflag & IXOFF) flowControl |= PD_RS232_A_RXO;
  if (iflag & IXANY) flowControl |= PD_RS232_A_XANY;
  if (cflag & CRTSCTS) flowControl |= PD_RS232_A_CTS | PD_RS232_A_RFR;
  return {
    baudRate: v.getUint32(40, true),
    dataBits: 5 + ((cflag & CSIZE) >> 4),
    halfStopBits: cflag & CSTOPB ? 4 : 2,
    parity,
    flowControl,
    xon: termios[17 + VSTART]!,
    xoff: termios[17 + VSTOP]!,
  };
}

/** Sets or clears EXTPROC in a termios2's c_lflag; true when that changed it. */
export function setExtproc(termios: Uint8Array, on: boolean): boolean {
  const v = new DataView(termios.buffer, termios.byteOffset, TERMIOS2_SIZE);
  const lflag = v.getUint32(12, true);
  const next = on ? lflag | EXTPROC : lflag & ~EXTPROC;
  v.setUint32(12, next >>> 0, true);
  return next !== lflag;
}

/** Makes a termios2 raw (cfmakeraw): bytes pass unchanged both ways. */
export function makeRaw(termios: Uint8Array): void {
  const v = new DataView(termios.buffer, termios.byteOffset, TERMIOS2_SIZE);
  // IGNBRK BRKINT PARMRK ISTRIP INLCR IGNCR ICRNL IXON off; OPOST off; ECHO ECHONL ICANON ISIG IEXTEN off; CS8.
  v.setUint32(0, v.getUint32(0, true) & ~(0o1 | 0o2 | 0o10 | 0o40 | 0o100 | 0o200 | 0o400 | IXON), true);
  v.setUint32(4, v.getUint32(4, true) & ~0o1, true);
  v.setUint32(12, v.getUint32(12, true) & ~(0o10 | 0o100 | 0o2 | 0o1 | 0o100000), true);
  v.setUint32(8, ((v.getUint32(8, true) & ~(CSIZE | PARENB)) | 0o60) >>> 0, true);
}
