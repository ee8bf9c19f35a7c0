/**
 * `@driverkit/serialdriverkit`: Apple's SerialDriverKit for TypeScript on Linux. An `IOUserSerial`
 * driver is published as a real tty (a pseudo-terminal any serial program opens), its Hw* hooks
 * receive what applications do with it, and its TX and RX rings are SerialPortInterface rings as
 * Apple's are.
 * @packageDocumentation
 */
export * from './SerialDriverKitConstants';
export { IOUserSerial, serialLinkDirectory, type IOSerialModemStatus, type IOSerialQueues } from './IOUserSerial';
export { IOUserSerialUserClient, kIOUserSerialGetModemStatus, kIOUserSerialSendBreak, kIOUserSerialSetDataFormat, kIOUserSerialSetLatencyTimer, kIOUserSerialSetModemLines } from './IOUserSerialUserClient';
export { SerialPortInterface, kSerialPortInterfaceSize } from './SerialPortInterface';
export { SerialQueue } from './queue/SerialQueue';
export { PseudoTerminal, type PseudoTerminalHandlers } from './kernel/PseudoTerminal';
export type { SerialLineSettings } from './kernel/Termios';
export { IOUserUSBSerial, type IOUSBSerialInterfaces } from './IOUserUSBSerial';
export { IOSerialStreamSync, type IOSerialStreamModemStatus, type IOSerialStreamOptions } from './IOSerialStreamSync';
export { SerialTTYProvider, udevadmAvailable, type SerialTTYInfo } from './host/SerialTTYProvider';
export { register, serialTTYProvider, type SerialPluginOptions } from './plugin';
