/**
 * `@driverkit/hiddriverkit`: Apple's HIDDriverKit for TypeScript on Linux. So far: the HID 1.11 report
 * descriptor parser, the IOHIDElement tree and report encoding and decoding; the device classes, the
 * event services and the hidraw, USB and virtual backends follow.
 * @packageDocumentation
 */
export * from './descriptor/IOHIDElement';
export { parseReportDescriptor, type HIDParseMode, type HIDReportDescriptor, type HIDReportInfo } from './descriptor/HIDReportDescriptor';
export { decodeReport, encodeReport, findReport, type HIDElementValue } from './descriptor/HIDReportCodec';
export { HIDMatchingFamily, kHIDMatchScore } from './matching/HIDMatchingFamily';
export type { HIDBackend, HIDDeviceDescription, HIDDeviceHandle } from './backend/HIDBackend';
export { HIDRawBackend, type NodeHIDModule } from './backend/hidraw/HIDRawBackend';
export { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
export { VirtualHIDDevice, type VirtualHIDDeviceHandlers } from './backend/virtual/VirtualHIDDevice';
export { IOHIDInterface, kIOHIDReportTypeInput, kIOHIDReportTypeOutput, kIOHIDReportTypeFeature, type IOHIDDeviceOpener } from './IOHIDInterface';
