/**
 * `@driverkit/hiddriverkit`: Apple's HIDDriverKit for TypeScript on Linux: the HID 1.11 report
 * descriptor parser and IOHIDElement tree, IOHIDInterface, the event services (IOUserHIDEventService,
 * IOUserHIDEventDriver) with their event stream for apps, HID devices made by drivers
 * (IOUserHIDDevice), and the hidraw, USB and virtual backends.
 * @packageDocumentation
 */
export * from './IOHIDElement';
export { parseReportDescriptor, type HIDParseMode, type HIDReportDescriptor, type HIDReportInfo } from './descriptor/HIDReportDescriptor';
export { decodeReport, encodeReport, findReport, type HIDElementValue } from './descriptor/HIDReportCodec';
export { HIDReportProcessor } from './descriptor/HIDReportProcessor';
export { HIDMatchingFamily, kHIDMatchScore } from './matching/HIDMatchingFamily';
export type { HIDBackend, HIDDeviceDescription, HIDDeviceHandle } from './backend/HIDBackend';
export { HIDRawBackend, type NodeHIDModule } from './backend/hidraw/HIDRawBackend';
export { HIDDeviceOpeners } from './backend/HIDDeviceOpeners';
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
export * from './descriptor/HIDUsages';
export { encodeHIDEvent, decodeHIDEvent, type IOHIDEvent, type IOHIDDigitizerStylusData, type IOHIDDigitizerTouchData, type IOHIDGameControllerData } from './IOHIDEvent';
export { IOHIDEventService, kIOHIDEventTypeKey, kIOHIDEventTypeKeyboard, kIOHIDUsageKey, kIOHIDUsagePageKey, type IOHIDEventListener } from './IOHIDEventService';
export { IOHIDEventServiceUserClient, kIOHIDEventServiceUserClientSubscribe, kIOHIDEventServiceUserClientUnsubscribe } from './IOHIDEventServiceUserClient';
export { IOUserHIDEventService } from './IOUserHIDEventService';
export { IOUserHIDEventDriver } from './IOUserHIDEventDriver';
export { IOHIDDigitizerCollection, kIOHIDDigitizerCollectionTypeStylus, kIOHIDDigitizerCollectionTypeFinger } from './IOHIDDigitizerCollection';
export { HIDRecording, type HIDRecordedReport } from './recording/HIDRecording';
export { register, type HIDPluginOptions } from './plugin';
export { IOUSBHostHIDDevice } from './IOUSBHostHIDDevice';
export { IOUserHIDDevice } from './IOUserHIDDevice';
export { UHIDDevice, BUS_USB, BUS_BLUETOOTH, BUS_VIRTUAL, type UHIDDeviceOptions, type UHIDDeviceHandlers } from './kernel/UHIDDevice';
export { IOHIDDevice } from './IOHIDDevice';
