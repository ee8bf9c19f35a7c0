import { PD_RS232_A_CTS, PD_RS232_A_RFR, PD_RS232_A_RXO, PD_RS232_A_TXO, PD_RS232_PARITY_EVEN, PD_RS232_PARITY_MARK, PD_RS232_PARITY_NONE, PD_RS232_PARITY_ODD } from '../SerialDriverKitConstants';
import { EXTPROC, TERMIOS2_SIZE, lineSettingsOf, setExtproc } from './Termios';

function termios(iflag: number, cflag: number, speed: number): Uint8Array {
  const t = new Uint8Array(TERMIOS2_SIZE);
  const v = new DataView(t.buffer);
  v.setUint32(0, iflag, true);
  v.setUint32(8, cflag >>> 0, true);
  v.setUint32(40, speed, true);
  t[17 + 8] = 0x11;
  t[17 + 9] = 0x13;
  return t;
}

describe('termios2 → line settings', () => {
  test.each([
    ['7E1', 0o40 | 0o400, 0, 7, 2, PD_RS232_PARITY_EVEN, 0],
    ['8O2', 0o60 | 0o400 | 0o1000 | 0o100, 0, 8, 4, PD_RS232_PARITY_ODD, 0],
    ['5N1, RTS/CTS', 0o20000000000, 0, 5, 2, PD_RS232_PARITY_NONE, PD_RS232_A_CTS | PD_RS232_A_RFR],
    ['8M1 (CMSPAR), XON/XOFF both ways', 0o60 | 0o400 | 0o1000 | 0o10000000000, 0o2000 | 0o10000, 8, 2, PD_RS232_PARITY_MARK, PD_RS232_A_TXO | PD_RS232_A_RXO],
  ])('%s', (_name, cflag, iflag, dataBits, halfStopBits, parity, flowControl) => {
    expect(lineSettingsOf(termios(iflag, cflag, 250000))).toEqual({ baudRate: 250000, dataBits, halfStopBits, parity, flowControl, xon: 0x11, xoff: 0x13 });
  });

  test('EXTPROC is set only when missing', () => {
    const t = termios(0, 0o60, 9600);
    expect(setExtproc(t, true)).toBe(true);
    expect(new DataView(t.buffer).getUint32(12, true) & EXTPROC).toBe(EXTPROC);
    expect(setExtproc(t, true)).toBe(false);
  });
});
