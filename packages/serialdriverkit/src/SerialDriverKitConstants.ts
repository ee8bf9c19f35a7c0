// SerialDriverKit's constants (SerialDriverKit/SerialPortInterface.h, IOSerialKeys.h).

/** Mirrors `PD_RS232_PARITY_*`: the parity HwProgramUART is given. */
export const PD_RS232_PARITY_DEFAULT = 0;
export const PD_RS232_PARITY_NONE = 1;
export const PD_RS232_PARITY_ODD = 2;
export const PD_RS232_PARITY_EVEN = 3;
export const PD_RS232_PARITY_MARK = 4;
export const PD_RS232_PARITY_SPACE = 5;
export const PD_RS232_PARITY_ANY = 6;

/**
 * Flow-control bits HwProgramFlowControl is given in `arg`, named as Apple's `PD_RS232_A_*` auto-flow
 * bits (the values are this framework's: Apple does not document them): XON/XOFF on output (TXO) and
 * input (RXO), CTS (output waits for it) and RFR (RTS as ready-for-receive), any character restarts
 * output (XANY).
 */
export const PD_RS232_A_TXO = 0x01;
export const PD_RS232_A_RXO = 0x02;
export const PD_RS232_A_CTS = 0x04;
export const PD_RS232_A_RFR = 0x08;
export const PD_RS232_A_XANY = 0x10;

/** Mirrors `kIOTTYBaseNameKey` / `kIOTTYSuffixKey`: the personality's choice of port name. */
export const kIOTTYBaseNameKey = 'IOTTYBaseName';
export const kIOTTYSuffixKey = 'IOTTYSuffix';
/** The registry keys a published port carries (IOSerialBSDClient's, on macOS). */
export const kIOTTYDeviceKey = 'IOTTYDevice';
export const kIOCalloutDeviceKey = 'IOCalloutDevice';
export const kIODialinDeviceKey = 'IODialinDevice';
/** Ours: the pseudo-terminal behind the port. */
export const kIOSerialPTYPathKey = 'IOSerialPTYPath';

/** Ring sizes when ConnectQueues is given none: 16 KiB each way, as Apple's. */
export const kIOSerialDefaultQueueLogSize = 14;
