/**
 * `@driverkit/usbdriverkit/testing`: what a USB driver's tests need — a host on a virtual bus of its
 * own ({@link USBTestBench}), the devices to put on it, and replay of real captures.
 * @packageDocumentation
 */
export { USBTestBench } from './testing/USBTestBench';
export { VirtualUSBHost } from './backend/virtual/VirtualUSBHost';
export { VirtualUSBDevice, type VirtualUSBDeviceModel } from './backend/virtual/VirtualUSBDevice';
export { USBReplay, type USBReplayMismatch } from './backend/replay/USBReplay';
export { USBCapture } from './backend/replay/USBCapture';
