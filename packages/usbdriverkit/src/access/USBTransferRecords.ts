// The records of a USB transfer channel: what a driver process puts in its request queue and the host
// in its completion queue. Both live in shared memory a driver wrote, so the host reads every field
// as hostile; little-endian like the rest of the data queues.
import type { USBSetupPacket } from '../backend/USBBackend';
import type { USBScope } from './USBAccess';

/**
 * Request: tag u32, endpoint u8, kind u8, scope u8, interface u8, lengthIn u32, timeoutMs u32, then
 * for a control transfer its 8-byte SETUP packet, then the OUT bytes. `kind` is
 * {@link kUSBTransferBulkOrInterrupt} or {@link kUSBTransferControl}; a control transfer's scope is the
 * device (0) or the interface numbered `interface` (1), its endpoint and lengthIn 0 (wLength says).
 */
export const kUSBTransferRequestHeader = 16;
export const kUSBTransferBulkOrInterrupt = 0;
export const kUSBTransferControl = 1;
const SETUP = 8;
/** Completion: tag u32, status u32, length u32, flags u32, then the IN bytes (or an error's message). */
export const kUSBTransferCompletionHeader = 16;
/** Completion flag: the call was refused (status is its kIOReturn code, the bytes its message in UTF-8). */
export const kUSBTransferRefused = 1;

/** Each queue's bytes: room for several transfers of the largest size a channel carries. */
export const kUSBTransferQueueBytes = 1 << 20;
/** The largest OUT or IN payload a channel carries; larger transfers take the nub's call path. */
export const kUSBTransferChannelMaxBytes = 256 << 10;
/** What a host keeps in flight for one channel before it refuses more (kIOReturnNoResources). */
export const kUSBTransferMaxInFlight = 1024;
export const kUSBTransferMaxInFlightBytes = 16 << 20;

export interface USBTransferRequest {
  tag: number;
  kind: number;
  endpoint: number;
  /** A control transfer's scope. */
  scope: USBScope;
  lengthIn: number;
  timeoutMs: number;
  /** A control transfer's SETUP packet. */
  setup: USBSetupPacket | null;
  /** OUT bytes, a view into the queue: copy before the record is gone. */
  dataOut: Uint8Array;
}

/** The bytes a request takes. */
export function requestSize(dataOut: Uint8Array | null, control: boolean): number {
  return kUSBTransferRequestHeader + (control ? SETUP : 0) + (dataOut?.length ?? 0);
}

// Fields are read and written byte by byte: a DataView per record was an allocation per transfer on
// each side of the channel, and these records are the channel's hot path.
const u16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number): number => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
function setU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
}
function setU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v;
  b[at + 1] = v >>> 8;
  b[at + 2] = v >>> 16;
  b[at + 3] = v >>> 24;
}

/** Writes a bulk or interrupt request into `record` ({@link requestSize} bytes). */
export function writeRequest(record: Uint8Array, tag: number, endpoint: number, lengthIn: number, timeoutMs: number, dataOut: Uint8Array | null): void {
  setU32(record, 0, tag);
  setU32(record, 4, endpoint & 0xff);
  setU32(record, 8, lengthIn);
  setU32(record, 12, timeoutMs);
  if (dataOut) record.set(dataOut, kUSBTransferRequestHeader);
}

/** Writes a control request into `record` ({@link requestSize} bytes). */
export function writeControlRequest(record: Uint8Array, tag: number, scope: USBScope, setup: USBSetupPacket, timeoutMs: number, dataOut: Uint8Array | null): void {
  setU32(record, 0, tag);
  record[4] = 0;
  record[5] = kUSBTransferControl;
  record[6] = scope === 'device' ? 0 : 1;
  record[7] = scope === 'device' ? 0 : scope & 0xff;
  setU32(record, 8, 0);
  setU32(record, 12, timeoutMs);
  record[16] = setup.bmRequestType;
  record[17] = setup.bRequest;
  setU16(record, 18, setup.wValue);
  setU16(record, 20, setup.wIndex);
  setU16(record, 22, setup.wLength);
  if (dataOut) record.set(dataOut, kUSBTransferRequestHeader + SETUP);
}

/** Reads a request; null when the record is too short to be one (or to carry its SETUP packet). */
export function readRequest(record: Uint8Array): USBTransferRequest | null {
  if (record.length < kUSBTransferRequestHeader) return null;
  const kind = record[5]!;
  if (kind !== kUSBTransferControl) {
    return { tag: u32(record, 0), kind, endpoint: record[4]!, scope: 'device', lengthIn: u32(record, 8), timeoutMs: u32(record, 12), setup: null, dataOut: record.subarray(kUSBTransferRequestHeader) };
  }
  if (record.length < kUSBTransferRequestHeader + SETUP) return null;
  const setup = { bmRequestType: record[16]!, bRequest: record[17]!, wValue: u16(record, 18), wIndex: u16(record, 20), wLength: u16(record, 22) };
  return { tag: u32(record, 0), kind, endpoint: record[4]!, scope: record[6] === 0 ? 'device' : record[7]!, lengthIn: u32(record, 8), timeoutMs: u32(record, 12), setup, dataOut: record.subarray(kUSBTransferRequestHeader + SETUP) };
}

export function writeCompletion(record: Uint8Array, tag: number, status: number, length: number, flags: number, data: Uint8Array | null): void {
  setU32(record, 0, tag);
  setU32(record, 4, status);
  setU32(record, 8, length);
  setU32(record, 12, flags);
  if (data) record.set(data, kUSBTransferCompletionHeader);
}

export interface USBTransferCompletion {
  tag: number;
  status: number;
  length: number;
  flags: number;
  data: Uint8Array;
}

export function readCompletion(record: Uint8Array): USBTransferCompletion | null {
  if (record.length < kUSBTransferCompletionHeader) return null;
  return { tag: u32(record, 0), status: u32(record, 4), length: u32(record, 8), flags: u32(record, 12), data: record.subarray(kUSBTransferCompletionHeader) };
}
