// AudioDriverKit's enumerations (AudioDriverKitTypes.h). Four-character codes are CoreAudio's; where
// Apple does not publish a value (the IO operations, the HAL user-client type) the value is ours.

const fourCC = (s: string) => ((s.charCodeAt(0) << 24) | (s.charCodeAt(1) << 16) | (s.charCodeAt(2) << 8) | s.charCodeAt(3)) >>> 0;

/** Mirrors `IOUserAudioObjectID`; the driver itself is `kIOUserAudioObjectIDDriver`. */
export type IOUserAudioObjectID = number;
export const kIOUserAudioObjectIDDriver = 1;

/** Mirrors `IOUserAudioStreamDirection`. */
export const IOUserAudioStreamDirection = { Output: 0, Input: 1 } as const;
export type IOUserAudioStreamDirection = (typeof IOUserAudioStreamDirection)[keyof typeof IOUserAudioStreamDirection];

/** Mirrors `IOUserAudioFormatID`. */
export const IOUserAudioFormatID = { LinearPCM: fourCC('lpcm') } as const;

/** Mirrors `IOUserAudioFormatFlags` (CoreAudio's kAudioFormatFlag… bits). */
export const IOUserAudioFormatFlags = {
  FormatFlagIsFloat: 1 << 0,
  FormatFlagIsBigEndian: 1 << 1,
  FormatFlagIsSignedInteger: 1 << 2,
  FormatFlagIsPacked: 1 << 3,
  FormatFlagIsNonInterleaved: 1 << 5,
  /** Little-endian on every machine this runs on. */
  FormatFlagsNativeEndian: 0,
} as const;

/** Mirrors `IOUserAudioObjectPropertyScope`. */
export const IOUserAudioObjectPropertyScope = { Global: fourCC('glob'), Input: fourCC('inpt'), Output: fourCC('outp') } as const;
/** Mirrors `IOUserAudioObjectPropertyElementMain`. */
export const IOUserAudioObjectPropertyElementMain = 0;

/** Mirrors `IOUserAudioClassID` (CoreAudio class IDs). */
export const IOUserAudioClassID = {
  Object: fourCC('aobj'),
  Device: fourCC('adev'),
  ClockDevice: fourCC('aclk'),
  Stream: fourCC('astr'),
  Control: fourCC('actl'),
  LevelControl: fourCC('levl'),
  VolumeControl: fourCC('vlme'),
  BooleanControl: fourCC('togl'),
  MuteControl: fourCC('mute'),
  SelectorControl: fourCC('slct'),
  SliderControl: fourCC('sldr'),
  StereoPanControl: fourCC('span'),
  DataSourceControl: fourCC('dsrc'),
  CustomProperty: fourCC('cust'),
} as const;

/** Mirrors `IOUserAudioTransportType`. */
export const IOUserAudioTransportType = { BuiltIn: fourCC('bltn'), USB: fourCC('usb '), PCI: fourCC('pci '), Virtual: fourCC('virt'), Unknown: 0 } as const;

/** Mirrors `IOUserAudioChannelLabel` (the values used here). */
export const IOUserAudioChannelLabel = { Unknown: 0xffffffff, Left: 1, Right: 2, Mono: 42 } as const;

/** Mirrors `IOUserAudioIOOperation`: what the real-time handler is told (values ours). */
export const IOUserAudioIOOperation = { BeginRead: 1, WriteEnd: 2 } as const;
export type IOUserAudioIOOperation = (typeof IOUserAudioIOOperation)[keyof typeof IOUserAudioIOOperation];

/** Mirrors `IOUserAudioStartStopFlags`. */
export const IOUserAudioStartStopFlags = { None: 0 } as const;

/** Mirrors `IOUserAudioCustomPropertyDataType`. */
export const IOUserAudioCustomPropertyDataType = { None: 0, String: fourCC('cfst'), PropertyList: fourCC('plst') } as const;

/** Mirrors `kIOUserAudioDriverUserClientType`: the type the HAL opens a driver's user client with (value ours). */
export const kIOUserAudioDriverUserClientType = fourCC('hal0');

/** The entitlement a driver needs to publish audio devices (Apple's). */
export const kIOUserAudioFamilyEntitlement = 'com.apple.developer.driverkit.family.audio';

/**
 * Mirrors `IOUserAudioIOOperationHandler`: `(deviceID, operation, ioBufferFrameSize, sampleTime,
 * hostTime)`, run on the I/O cycle for the frames `[sampleTime, sampleTime + ioBufferFrameSize)`.
 * Keep it short and allocation-free, as Apple asks of its real-time thread.
 */
export type IOUserAudioIOOperationHandler = (device: IOUserAudioObjectID, operation: IOUserAudioIOOperation, ioBufferFrameSize: number, sampleTime: bigint, hostTime: bigint) => number | void;
