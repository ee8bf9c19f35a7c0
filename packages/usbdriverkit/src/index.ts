/**
 * `@driverkit/usbdriverkit`: Apple's USBDriverKit for TypeScript on Linux — IOUSBHostDevice,
 * IOUSBHostInterface and IOUSBHostPipe over libusb (the `usb` package), a virtual USB host, and
 * replay of real USB captures (usbmon, USBPcap, USB 2.0 analyzer packets).
 * @packageDocumentation
 */
export * from './descriptors/USBConstants';
export * from './descriptors/USBDescriptors';
export * from './descriptors/USBEndpoint';
export * from './descriptors/USBDescriptorBuilder';
export type { USBBackend, USBDeviceHandle, USBDeviceInfo, USBDeviceLocator, USBSetupPacket, USBTransferResult, USBIsochResult, USBIsochFrameResult } from './backend/USBBackend';
export { VirtualUSBHost } from './backend/virtual/VirtualUSBHost';
export { VirtualUSBDevice, type VirtualUSBDeviceModel } from './backend/virtual/VirtualUSBDevice';
export { VirtualUSBDeviceHandle } from './backend/virtual/VirtualUSBDeviceHandle';
export { LibUSBBackend } from './backend/libusb/LibUSBBackend';
export { usbErrorCode } from './backend/libusb/LibUSBErrors';
export type { USBAccess, USBDeviceSnapshot, USBScope } from './access/USBAccess';
export { USBDeviceSession, kUSBHostInterfaceOpenDetachKernelDriver } from './access/USBDeviceSession';
export { IOUSBHostNub } from './IOUSBHostNub';
export { IOUSBHostDevice, kIOUSBHostPortStatusPortTypeMask, kIOUSBHostPortStatusConnectedSpeedMask, kIOUSBHostPortStatusResetting, kIOUSBHostPortStatusEnabled, kIOUSBHostPortStatusSuspended, kIOUSBHostPortStatusOvercurrent, type IOUSBHostInterfaceIterator } from './IOUSBHostDevice';
export { IOUSBHostInterface } from './IOUSBHostInterface';
export { IOUSBHostIOError } from './IOUSBHostIOError';
export { IOUSBHostPipe, kIOUSBHostIsochronousFramesAhead, kIOUSBHostPipeBundlingMax, type IOUSBIsochronousFrame, type IOUSBStandardEndpointDescriptors } from './IOUSBHostPipe';
export { USBHostController } from './host/USBHostController';
export { USBMatchingFamily, kUSBMatchScore } from './matching/USBMatchingFamily';
export { register, type USBPluginOptions } from './plugin';
export { USBCapture, LINKTYPE_USB_LINUX, LINKTYPE_USB_LINUX_MMAPPED, LINKTYPE_USBPCAP, LINKTYPE_USB_2_0 } from './backend/replay/USBCapture';
export type { USBCapturePipeEvent, USBCaptureTransfer, USBTransferType } from './backend/replay/USBCaptureTransfer';
export { USBReplay, type USBReplayMismatch } from './backend/replay/USBReplay';
export { readCaptureFile, type CapturedFrame } from './backend/replay/PcapReader';
