/**
 * `@driverkit/serialdriverkit`: Apple's SerialDriverKit for TypeScript on Linux. An `IOUserSerial`
 * driver is published as a real tty (a pseudo-terminal any serial program opens), its Hw* hooks
 * receive what applications do with it, and its TX and RX rings are SerialPortInterface rings as
 * Apple's are.
 * @packageDocumentation
 */
export * from './serial/SerialDriverKitConstants';
export { IOUserSerial, serialLinkDirectory, type IOSerialModemStatus, type IOSerialQueues } from './serial/IOUserSerial';
export { IOUserSerialUserClient, kIOUserSerialGetModemStatus, kIOUserSerialSendBreak, kIOUserSerialSetDataFormat, kIOUserSerialSetLatencyTimer, kIOUserSerialSetModemLines } from './serial/IOUserSerialUserClient';
export { SerialPortInterface, kSerialPortInterfaceSize } from './serial/SerialPortInterface';
export { SerialQueue } from './serial/SerialQueue';
export { PseudoTerminal, type PseudoTerminalHandlers } from './pty/PseudoTerminal';
export type { SerialLineSettings } from './pty/Termios';
export { IOUserUSBSerial, type IOUSBSerialInterfaces } from './usb/IOUserUSBSerial';
export { IOSerialStreamSync, type IOSerialStreamModemStatus, type IOSerialStreamOptions } from './tty/IOSerialStreamSync';
export { SerialTTYProvider, udevadmAvailable, type SerialTTYInfo } from './tty/SerialTTYProvider';
export { register, serialTTYProvider, type SerialPluginOptions } from './plugin';
