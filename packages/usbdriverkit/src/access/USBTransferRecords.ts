// The records of a USB transfer channel: what a driver process puts in its request queue and the host
// in its completion queue. Both live in shared memory a driver wrote, so the host reads every field
// as hostile; little-endian like the rest of the data queues.

/** Request: tag u32, endpoint u8, 3 reserved, lengthIn u32, timeoutMs u32, then the OUT bytes. */
export const kUSBTransferRequestHeader = 16;
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
  endpoint: number;
  lengthIn: number;
  timeoutMs: number;
  /** OUT bytes, a view into the queue: copy before the record is gone. */
  dataOut: Uint8Array;
}

/** Writes a request into `record` (exactly {@link kUSBTransferRequestHeader} + dataOut bytes long). */
export function writeRequest(record: Uint8Array, tag: number, endpoint: number, lengthIn: number, timeoutMs: number, dataOut: Uint8Array | null): void {
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferRequestHeader);
  v.setUint32(0, tag, true);
  v.setUint32(4, endpoint & 0xff, true);
  v.setUint32(8, lengthIn, true);
  v.setUint32(12, timeoutMs, true);
  if (dataOut) record.set(dataOut, kUSBTransferRequestHeader);
}

/** Reads a request; null when the record is too short to be one. */
export function readRequest(record: Uint8Array): USBTransferRequest | null {
  if (record.length < kUSBTransferRequestHeader) return null;
  const v = new DataView(record.buffer, record.byteOffset, kUSBTransferRequestHeader);
  return { tag: v.getUint32(0, true), endpoint: v.getUint8(4), lengthIn: v.getUint32(8, true), timeoutMs: v.getUint32(12, true), dataOut: record.subarray(kUSBTransferRequestHeader) };
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
