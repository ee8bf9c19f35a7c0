/**
 * kIOReturn codes with Apple's numeric values (IOReturn.h), and the table that names them.
 *
 * Codes are kept as unsigned 32-bit numbers (`0xe00002bc`, not `-536870212`): every function here
 * normalises with `>>> 0`, so a signed `kern_return_t` read off the wire compares equal.
 */

/** Mirrors `IOReturn` / `kern_return_t`. */
export type IOReturn = number;

/** Mirrors `err_system(x)`. */
export const err_system = (x: number): number => ((x & 0x3f) << 26) >>> 0;
/** Mirrors `err_sub(x)`. */
export const err_sub = (x: number): number => ((x & 0xfff) << 14) >>> 0;
/** Mirrors `err_get_system(err)`. */
export const err_get_system = (err: number): number => (err >>> 26) & 0x3f;
/** Mirrors `err_get_sub(err)`. */
export const err_get_sub = (err: number): number => (err >>> 14) & 0xfff;
/** Mirrors `err_get_code(err)`. */
export const err_get_code = (err: number): number => err & 0x3fff;
/** Mirrors `sys_iokit`. */
export const sys_iokit = err_system(0x38);
/** Mirrors `sub_iokit_common`. */
export const sub_iokit_common = err_sub(0);
/** Mirrors `iokit_common_err(return)`. */
export const iokit_common_err = (code: number): number => (sys_iokit | sub_iokit_common | code) >>> 0;
/** Mirrors `iokit_family_err(sub, return)`: a family's own code in its subsystem. */
export const iokit_family_err = (sub: number, code: number): number => (sys_iokit | sub | code) >>> 0;

/** Subsystems (`err_sub`) of IOKit families, as IOReturn.h numbers them. */
export const sub_iokit_usb = err_sub(1);
export const sub_iokit_firewire = err_sub(2);
export const sub_iokit_block_storage = err_sub(4);
export const sub_iokit_graphics = err_sub(5);
export const sub_iokit_networking = err_sub(6);
export const sub_iokit_bluetooth = err_sub(8);
export const sub_iokit_pmu = err_sub(9);
export const sub_iokit_acpi = err_sub(10);
export const sub_iokit_smbus = err_sub(11);
export const sub_iokit_ahci = err_sub(12);
export const sub_iokit_powermanagement = err_sub(13);
export const sub_iokit_hidsystem = err_sub(14);
export const sub_iokit_scsi = err_sub(16);
export const sub_iokit_usbaudio = err_sub(17);
export const sub_iokit_thunderbolt = err_sub(29);
export const sub_iokit_nvme = err_sub(28);
export const sub_iokit_vendor_specific = err_sub(-2);
export const sub_iokit_reserved = err_sub(-1);

export const kIOReturnSuccess = 0;
export const kIOReturnError = iokit_common_err(0x2bc);
export const kIOReturnNoMemory = iokit_common_err(0x2bd);
export const kIOReturnNoResources = iokit_common_err(0x2be);
export const kIOReturnIPCError = iokit_common_err(0x2bf);
export const kIOReturnNoDevice = iokit_common_err(0x2c0);
export const kIOReturnNotPrivileged = iokit_common_err(0x2c1);
export const kIOReturnBadArgument = iokit_common_err(0x2c2);
export const kIOReturnLockedRead = iokit_common_err(0x2c3);
export const kIOReturnLockedWrite = iokit_common_err(0x2c4);
export const kIOReturnExclusiveAccess = iokit_common_err(0x2c5);
export const kIOReturnBadMessageID = iokit_common_err(0x2c6);
export const kIOReturnUnsupported = iokit_common_err(0x2c7);
export const kIOReturnVMError = iokit_common_err(0x2c8);
export const kIOReturnInternalError = iokit_common_err(0x2c9);
export const kIOReturnIOError = iokit_common_err(0x2ca);
export const kIOReturnCannotLock = iokit_common_err(0x2cc);
export const kIOReturnNotOpen = iokit_common_err(0x2cd);
export const kIOReturnNotReadable = iokit_common_err(0x2ce);
export const kIOReturnNotWritable = iokit_common_err(0x2cf);
export const kIOReturnNotAligned = iokit_common_err(0x2d0);
export const kIOReturnBadMedia = iokit_common_err(0x2d1);
export const kIOReturnStillOpen = iokit_common_err(0x2d2);
export const kIOReturnRLDError = iokit_common_err(0x2d3);
export const kIOReturnDMAError = iokit_common_err(0x2d4);
export const kIOReturnBusy = iokit_common_err(0x2d5);
export const kIOReturnTimeout = iokit_common_err(0x2d6);
export const kIOReturnOffline = iokit_common_err(0x2d7);
export const kIOReturnNotReady = iokit_common_err(0x2d8);
export const kIOReturnNotAttached = iokit_common_err(0x2d9);
export const kIOReturnNoChannels = iokit_common_err(0x2da);
export const kIOReturnNoSpace = iokit_common_err(0x2db);
export const kIOReturnPortExists = iokit_common_err(0x2dd);
export const kIOReturnCannotWire = iokit_common_err(0x2de);
export const kIOReturnNoInterrupt = iokit_common_err(0x2df);
export const kIOReturnNoFrames = iokit_common_err(0x2e0);
export const kIOReturnMessageTooLarge = iokit_common_err(0x2e1);
export const kIOReturnNotPermitted = iokit_common_err(0x2e2);
export const kIOReturnNoPower = iokit_common_err(0x2e3);
export const kIOReturnNoMedia = iokit_common_err(0x2e4);
export const kIOReturnUnformattedMedia = iokit_common_err(0x2e5);
export const kIOReturnUnsupportedMode = iokit_common_err(0x2e6);
export const kIOReturnUnderrun = iokit_common_err(0x2e7);
export const kIOReturnOverrun = iokit_common_err(0x2e8);
export const kIOReturnDeviceError = iokit_common_err(0x2e9);
export const kIOReturnNoCompletion = iokit_common_err(0x2ea);
export const kIOReturnAborted = iokit_common_err(0x2eb);
export const kIOReturnNoBandwidth = iokit_common_err(0x2ec);
export const kIOReturnNotResponding = iokit_common_err(0x2ed);
export const kIOReturnIsoTooOld = iokit_common_err(0x2ee);
export const kIOReturnIsoTooNew = iokit_common_err(0x2ef);
export const kIOReturnNotFound = iokit_common_err(0x2f0);
export const kIOReturnInvalid = iokit_common_err(0x1);

interface IOReturnInfo {
  readonly name: string;
  readonly description: string;
}

// The descriptions are IOReturn.h's own comments, so log lines read like Apple's.
const table = new Map<number, IOReturnInfo>();

/**
 * Names a code so that {@link ioReturnString} and {@link IOReturnError} can print it. The core defines
 * the common codes; a family package defines its own (USB's `kIOUSBPipeStalled`, …) when it loads,
 * without the core knowing any family. Defining the same name and value again is harmless; giving an
 * existing value another name is a mistake and throws.
 */
export function defineIOReturn(name: string, code: number, description: string): number {
  const value = code >>> 0;
  const existing = table.get(value);
  if (existing && existing.name !== name) {
    throw new TypeError(`IOReturn 0x${value.toString(16)} is already named ${existing.name}, not ${name}`);
  }
  table.set(value, { name, description });
  return value;
}

const common: Array<[string, number, string]> = [
  ['kIOReturnSuccess', kIOReturnSuccess, 'OK'],
  ['kIOReturnError', kIOReturnError, 'general error'],
  ['kIOReturnNoMemory', kIOReturnNoMemory, "can't allocate memory"],
  ['kIOReturnNoResources', kIOReturnNoResources, 'resource shortage'],
  ['kIOReturnIPCError', kIOReturnIPCError, 'error during IPC'],
  ['kIOReturnNoDevice', kIOReturnNoDevice, 'no such device'],
  ['kIOReturnNotPrivileged', kIOReturnNotPrivileged, 'privilege violation'],
  ['kIOReturnBadArgument', kIOReturnBadArgument, 'invalid argument'],
  ['kIOReturnLockedRead', kIOReturnLockedRead, 'device read locked'],
  ['kIOReturnLockedWrite', kIOReturnLockedWrite, 'device write locked'],
  ['kIOReturnExclusiveAccess', kIOReturnExclusiveAccess, 'exclusive access and device already open'],
  ['kIOReturnBadMessageID', kIOReturnBadMessageID, 'sent/received messages had different msg_id'],
  ['kIOReturnUnsupported', kIOReturnUnsupported, 'unsupported function'],
  ['kIOReturnVMError', kIOReturnVMError, 'misc. VM failure'],
  ['kIOReturnInternalError', kIOReturnInternalError, 'internal error'],
  ['kIOReturnIOError', kIOReturnIOError, 'General I/O error'],
  ['kIOReturnCannotLock', kIOReturnCannotLock, "can't acquire lock"],
  ['kIOReturnNotOpen', kIOReturnNotOpen, 'device not open'],
  ['kIOReturnNotReadable', kIOReturnNotReadable, 'read not supported'],
  ['kIOReturnNotWritable', kIOReturnNotWritable, 'write not supported'],
  ['kIOReturnNotAligned', kIOReturnNotAligned, 'alignment error'],
  ['kIOReturnBadMedia', kIOReturnBadMedia, 'Media Error'],
  ['kIOReturnStillOpen', kIOReturnStillOpen, 'device(s) still open'],
  ['kIOReturnRLDError', kIOReturnRLDError, 'rld failure'],
  ['kIOReturnDMAError', kIOReturnDMAError, 'DMA failure'],
  ['kIOReturnBusy', kIOReturnBusy, 'Device Busy'],
  ['kIOReturnTimeout', kIOReturnTimeout, 'I/O Timeout'],
  ['kIOReturnOffline', kIOReturnOffline, 'device offline'],
  ['kIOReturnNotReady', kIOReturnNotReady, 'not ready'],
  ['kIOReturnNotAttached', kIOReturnNotAttached, 'device not attached'],
  ['kIOReturnNoChannels', kIOReturnNoChannels, 'no DMA channels left'],
  ['kIOReturnNoSpace', kIOReturnNoSpace, 'no space for data'],
  ['kIOReturnPortExists', kIOReturnPortExists, 'port already exists'],
  ['kIOReturnCannotWire', kIOReturnCannotWire, "can't wire down physical memory"],
  ['kIOReturnNoInterrupt', kIOReturnNoInterrupt, 'no interrupt attached'],
  ['kIOReturnNoFrames', kIOReturnNoFrames, 'no DMA frames enqueued'],
  ['kIOReturnMessageTooLarge', kIOReturnMessageTooLarge, 'oversized msg received on interrupt port'],
  ['kIOReturnNotPermitted', kIOReturnNotPermitted, 'not permitted'],
  ['kIOReturnNoPower', kIOReturnNoPower, 'no power to device'],
  ['kIOReturnNoMedia', kIOReturnNoMedia, 'media not present'],
  ['kIOReturnUnformattedMedia', kIOReturnUnformattedMedia, 'media not formatted'],
  ['kIOReturnUnsupportedMode', kIOReturnUnsupportedMode, 'no such mode'],
  ['kIOReturnUnderrun', kIOReturnUnderrun, 'data underrun'],
  ['kIOReturnOverrun', kIOReturnOverrun, 'data overrun'],
  ['kIOReturnDeviceError', kIOReturnDeviceError, 'the device is not working properly'],
  ['kIOReturnNoCompletion', kIOReturnNoCompletion, 'a completion routine is required'],
  ['kIOReturnAborted', kIOReturnAborted, 'operation aborted'],
  ['kIOReturnNoBandwidth', kIOReturnNoBandwidth, 'bus bandwidth would be exceeded'],
  ['kIOReturnNotResponding', kIOReturnNotResponding, 'device not responding'],
  ['kIOReturnIsoTooOld', kIOReturnIsoTooOld, 'isochronous I/O request for distant past'],
  ['kIOReturnIsoTooNew', kIOReturnIsoTooNew, 'isochronous I/O request for distant future'],
  ['kIOReturnNotFound', kIOReturnNotFound, 'data was not found'],
  ['kIOReturnInvalid', kIOReturnInvalid, 'should never be seen'],
];
for (const [name, code, description] of common) defineIOReturn(name, code, description);

/** The kIOReturn name of `code`, or undefined when no loaded package defines it. */
export function ioReturnName(code: number): string | undefined {
  return table.get(code >>> 0)?.name;
}

/** IOReturn.h's one-line description of `code`, or undefined when no loaded package defines it. */
export function ioReturnDescription(code: number): string | undefined {
  return table.get(code >>> 0)?.description;
}

/** Formats a code as Apple's logs do: `0xe00002c0`. */
export function ioReturnHex(code: number): string {
  return `0x${(code >>> 0).toString(16).padStart(8, '0')}`;
}

/**
 * A code's name and hex value, e.g. `kIOReturnNoDevice (0xe00002c0)`. For a code no package defines,
 * the system, subsystem and code fields are spelled out so the number can still be looked up.
 *
 * Mirrors what `mach_error_string()` is used for in Apple's samples' log lines.
 */
export function ioReturnString(code: number): string {
  const value = code >>> 0;
  const name = ioReturnName(value);
  if (name) return `${name} (${ioReturnHex(value)})`;
  return `unknown IOReturn ${ioReturnHex(value)} (system 0x${err_get_system(value).toString(16)}, sub 0x${err_get_sub(value).toString(16)}, code 0x${err_get_code(value).toString(16)})`;
}
