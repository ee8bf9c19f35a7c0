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

/** Writes a bulk or interrupt request into `record` ({@link requestSize} bytes). */
export function writeRequest(record: Uint8Array, tag: number, endpoint: number, lengthIn: number, timeoutMs: number, dataOut: Uint8Array | null): void {
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferRequestHeader);
  v.setUint32(0, tag, true);
  v.setUint32(4, endpoint & 0xff, true);
  v.setUint32(8, lengthIn, true);
  v.setUint32(12, timeoutMs, true);
  if (dataOut) record.set(dataOut, kUSBTransferRequestHeader);
}

/** Writes a control request into `record` ({@link requestSize} bytes). */
export function writeControlRequest(record: Uint8Array, tag: number, scope: USBScope, setup: USBSetupPacket, timeoutMs: number, dataOut: Uint8Array | null): void {
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferRequestHeader + SETUP);
  v.setUint32(0, tag, true);
  v.setUint8(4, 0);
  v.setUint8(5, kUSBTransferControl);
  v.setUint8(6, scope === 'device' ? 0 : 1);
  v.setUint8(7, scope === 'device' ? 0 : scope & 0xff);
  v.setUint32(8, 0, true);
  v.setUint32(12, timeoutMs, true);
  v.setUint8(16, setup.bmRequestType);
  v.setUint8(17, setup.bRequest);
  v.setUint16(18, setup.wValue, true);
  v.setUint16(20, setup.wIndex, true);
  v.setUint16(22, setup.wLength, true);
  if (dataOut) record.set(dataOut, kUSBTransferRequestHeader + SETUP);
}

/** Reads a request; null when the record is too short to be one (or to carry its SETUP packet). */
export function readRequest(record: Uint8Array): USBTransferRequest | null {
  if (record.length < kUSBTransferRequestHeader) return null;
  const v = new DataView(record.buffer, record.byteOffset, record.length);
  const kind = v.getUint8(5);
  const base = { tag: v.getUint32(0, true), kind, endpoint: v.getUint8(4), lengthIn: v.getUint32(8, true), timeoutMs: v.getUint32(12, true) };
  if (kind !== kUSBTransferControl) return { ...base, scope: 'device', setup: null, dataOut: record.subarray(kUSBTransferRequestHeader) };
  if (record.length < kUSBTransferRequestHeader + SETUP) return null;
  const setup = { bmRequestType: v.getUint8(16), bRequest: v.getUint8(17), wValue: v.getUint16(18, true), wIndex: v.getUint16(20, true), wLength: v.getUint16(22, true) };
  return { ...base, scope: v.getUint8(6) === 0 ? 'device' : v.getUint8(7), setup, dataOut: record.subarray(kUSBTransferRequestHeader + SETUP) };
}

export function writeCompletion(record: Uint8Array, tag: number, status: number, length: number, flags: number, data: Uint8Array | null): void {
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferCompletionHeader);
  v.setUint32(0, tag, true);
  v.setUint32(4, status >>> 0, true);
  v.setUint32(8, length, true);
  v.setUint32(12, flags, true);
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
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferCompletionHeader);
  return { tag: v.getUint32(0, true), status: v.getUint32(4, true), length: v.getUint32(8, true), flags: v.getUint32(12, true), data: record.subarray(kUSBTransferCompletionHeader) };
}
