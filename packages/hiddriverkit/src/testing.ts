/**
 * `@driverkit/hiddriverkit/testing`: what a HID driver's tests need — a host on a virtual backend of
 * its own ({@link HIDTestBench}), the devices to add to it, and recordings of real devices.
 * @packageDocumentation
 */
export { HIDTestBench } from './testing/HIDTestBench';
export { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
export { VirtualHIDDevice } from './backend/virtual/VirtualHIDDevice';
export { HIDRecording } from './recording/HIDRecording';
