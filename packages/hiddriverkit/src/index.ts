/**
 * `@driverkit/hiddriverkit`: Apple's HIDDriverKit for TypeScript on Linux: the HID 1.11 report
 * descriptor parser and IOHIDElement tree, IOHIDInterface, the event services (IOUserHIDEventService,
 * IOUserHIDEventDriver) with their event stream for apps, HID devices made by drivers
 * (IOUserHIDDevice), and the hidraw, USB and virtual backends.
 * @packageDocumentation
 */
export * from './descriptor/IOHIDElement';
export { parseReportDescriptor, type HIDParseMode, type HIDReportDescriptor, type HIDReportInfo } from './descriptor/HIDReportDescriptor';
export { decodeReport, encodeReport, findReport, type HIDElementValue } from './descriptor/HIDReportCodec';
export { HIDReportProcessor } from './descriptor/HIDReportProcessor';
export { HIDMatchingFamily, kHIDMatchScore } from './matching/HIDMatchingFamily';
export type { HIDBackend, HIDDeviceDescription, HIDDeviceHandle } from './backend/HIDBackend';
export { HIDRawBackend, type NodeHIDModule } from './backend/hidraw/HIDRawBackend';
export { VirtualHIDBackend } from './backend/virtual/VirtualHIDBackend';
export { VirtualHIDDevice, type VirtualHIDDeviceHandlers } from './backend/virtual/VirtualHIDDevice';
export {
  IOHIDInterface,
  kIOHIDInterfaceDefaultReportPoolSize,
  kIOHIDInterfaceReportBacklog,
  kIOHIDReportTypeInput,
  kIOHIDReportTypeOutput,
  kIOHIDReportTypeFeature,
  kIOHIDElementCommitDirectionIn,
  kIOHIDElementCommitDirectionOut,
  type IOHIDDeviceOpener,
} from './IOHIDInterface';
export * from './events/HIDUsages';
export { encodeHIDEvent, decodeHIDEvent, type IOHIDEvent, type IOHIDDigitizerStylusData, type IOHIDDigitizerTouchData, type IOHIDGameControllerData } from './events/IOHIDEvent';
export { IOHIDEventService, kIOHIDEventTypeKey, kIOHIDEventTypeKeyboard, kIOHIDUsageKey, kIOHIDUsagePageKey, type IOHIDEventListener } from './events/IOHIDEventService';
export { IOHIDEventServiceUserClient, kIOHIDEventServiceUserClientSubscribe, kIOHIDEventServiceUserClientUnsubscribe } from './events/IOHIDEventServiceUserClient';
export { IOUserHIDEventService } from './events/IOUserHIDEventService';
export { IOUserHIDEventDriver } from './events/IOUserHIDEventDriver';
export { IOHIDDigitizerCollection, kIOHIDDigitizerCollectionTypeStylus, kIOHIDDigitizerCollectionTypeFinger } from './events/IOHIDDigitizerCollection';
export { HIDRecording, type HIDRecordedReport } from './recording/HIDRecording';
export { register, type HIDPluginOptions } from './plugin';
export { IOUSBHostHIDDevice } from './usb/IOUSBHostHIDDevice';
export { IOUserHIDDevice } from './device/IOUserHIDDevice';
export { UHIDDevice, BUS_USB, BUS_BLUETOOTH, BUS_VIRTUAL, type UHIDDeviceOptions, type UHIDDeviceHandlers } from './uhid/UHIDDevice';
export { IOHIDDevice } from './device/IOHIDDevice';
