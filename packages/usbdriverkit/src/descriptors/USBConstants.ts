import { defineIOReturn } from '@driverkit/driverkit';

// Apple's USBDriverKit constants (IOUSBHostFamilyDefinitions.h, USB 2.0/3.2 chapter 9), by their Apple names.

export const kIOUSBDescriptorTypeDevice = 1;
export const kIOUSBDescriptorTypeConfiguration = 2;
export const kIOUSBDescriptorTypeString = 3;
export const kIOUSBDescriptorTypeInterface = 4;
export const kIOUSBDescriptorTypeEndpoint = 5;
export const kIOUSBDescriptorTypeDeviceQualifier = 6;
export const kIOUSBDescriptorTypeOtherSpeedConfiguration = 7;
export const kIOUSBDescriptorTypeInterfacePower = 8;
export const kIOUSBDescriptorTypeOTG = 9;
export const kIOUSBDescriptorTypeDebug = 10;
export const kIOUSBDescriptorTypeInterfaceAssociation = 11;
export const kIOUSBDescriptorTypeBOS = 15;
export const kIOUSBDescriptorTypeDeviceCapability = 16;
export const kIOUSBDescriptorTypeHID = 0x21;
export const kIOUSBDescriptorTypeReport = 0x22;
export const kIOUSBDescriptorTypeCSInterface = 0x24;
export const kIOUSBDescriptorTypeCSEndpoint = 0x25;
export const kIOUSBDescriptorTypeSuperSpeedUSBEndpointCompanion = 48;
export const kIOUSBDescriptorTypeSuperSpeedPlusIsochronousEndpointCompanion = 49;

export const kIOUSBDeviceCapabilityTypeWireless = 1;
export const kIOUSBDeviceCapabilityTypeUSB20Extension = 2;
export const kIOUSBDeviceCapabilityTypeSuperSpeed = 3;
export const kIOUSBDeviceCapabilityTypeContainerID = 4;
export const kIOUSBDeviceCapabilityTypePlatform = 5;
export const kIOUSBDeviceCapabilityTypeSuperSpeedPlus = 10;
export const kIOUSBDeviceCapabilityTypeBillboard = 13;

export const kIOUSBEndpointTypeControl = 0;
export const kIOUSBEndpointTypeIsochronous = 1;
export const kIOUSBEndpointTypeBulk = 2;
export const kIOUSBEndpointTypeInterrupt = 3;
export const kIOUSBEndpointDirectionOut = 0;
export const kIOUSBEndpointDirectionIn = 1;
export const kIOUSBEndpointDescriptorDirectionIn = 0x80;

/** kIOUSBHostConnectionSpeed*. */
export const kIOUSBHostConnectionSpeedNone = 0;
export const kIOUSBHostConnectionSpeedFull = 1;
export const kIOUSBHostConnectionSpeedLow = 2;
export const kIOUSBHostConnectionSpeedHigh = 3;
export const kIOUSBHostConnectionSpeedSuper = 4;
export const kIOUSBHostConnectionSpeedSuperPlus = 5;
export const kIOUSBHostConnectionSpeedSuperPlusBy2 = 6;

// bmRequestType pieces (kIOUSBDeviceRequest*).
export const kIOUSBDeviceRequestDirectionOut = 0x00;
export const kIOUSBDeviceRequestDirectionIn = 0x80;
export const kIOUSBDeviceRequestTypeStandard = 0x00;
export const kIOUSBDeviceRequestTypeClass = 0x20;
export const kIOUSBDeviceRequestTypeVendor = 0x40;
export const kIOUSBDeviceRequestRecipientDevice = 0;
export const kIOUSBDeviceRequestRecipientInterface = 1;
export const kIOUSBDeviceRequestRecipientEndpoint = 2;
export const kIOUSBDeviceRequestRecipientOther = 3;

// Standard requests (kIOUSBDeviceRequest*).
export const kIOUSBDeviceRequestGetStatus = 0;
export const kIOUSBDeviceRequestClearFeature = 1;
export const kIOUSBDeviceRequestSetFeature = 3;
export const kIOUSBDeviceRequestSetAddress = 5;
export const kIOUSBDeviceRequestGetDescriptor = 6;
export const kIOUSBDeviceRequestSetDescriptor = 7;
export const kIOUSBDeviceRequestGetConfiguration = 8;
export const kIOUSBDeviceRequestSetConfiguration = 9;
export const kIOUSBDeviceRequestGetInterface = 10;
export const kIOUSBDeviceRequestSetInterface = 11;
export const kIOUSBDeviceRequestSynchFrame = 12;
export const kIOUSBDeviceFeatureSelectorEndpointHalt = 0;

/** USBDriverKit's status codes beyond kIOReturn (IOUSBHostFamily.h). */
export const kUSBHostReturnPipeStalled = defineIOReturn('kUSBHostReturnPipeStalled', 0xe0005000, 'the pipe stalled (the endpoint answered STALL)');
export const kUSBHostReturnNoPower = defineIOReturn('kUSBHostReturnNoPower', 0xe0005001, 'the port cannot power the device');
/** Apple's older name for a stalled pipe, still used by drivers. */
export const kIOUSBPipeStalled = kUSBHostReturnPipeStalled;

export const kUSBHostDefaultControlCompletionTimeoutMS = 5000;
export const kUSBHostDefaultControlNoDataTimeoutMS = 0;

/** IOUSBHostDevice::Open / IOUSBHostInterface::Open options. */
export const kIOUSBHostDeviceOptionNone = 0;
/** SetConfiguration(value, matchInterfaces): value 0 unconfigures. */
export const kIOUSBHostDeviceUnconfigure = 0;
