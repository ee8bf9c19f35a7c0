import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSArray } from '../os/OSArray';
import { OSData } from '../os/OSData';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import { kIOUserClientAsyncReferenceCountMax, kIOUserClientScalarArrayCountMax, kIOUserClientStructureInbandMax } from './IOUserClientMethodArguments';

/** The largest structure passed through shared memory (a sanity bound, not Apple's). */
export const kIOUserClientStructureMemoryMax = 256 * 1024 * 1024;

/**
 * One user-client call as it crosses a process boundary (app → host → driver process): the shape of
 * IOConnectCallMethod's arguments. Structures up to 4096 bytes travel in the frame; larger ones in
 * process-shared memory named by the caller.
 */
export interface IOUserClientCall {
  selector: bigint;
  scalarInput: bigint[];
  structureInput: Uint8Array | null;
  /** Shared memory (an IOSharedMemory name) holding a structure larger than a frame carries. */
  structureInputMemory: string | null;
  structureInputLength: number;
  scalarOutputCount: number;
  structureOutputMaximumSize: number;
  structureOutputMemory: string | null;
  /** Present for IOConnectCallAsyncMethod: the app's reference words, returned with the completion. */
  asyncReference: bigint[] | null;
}

/** What a call returns. */
export interface IOUserClientCallResult {
  status: number;
  message: string | null;
  scalarOutput: bigint[];
  structureOutput: Uint8Array | null;
  /** Bytes the driver wrote into `structureOutputMemory`. */
  structureOutputLength: number;
}

const bad = (why: string) => new IOReturnError(kIOReturnBadArgument, `user-client call: ${why}`);

function u64s(values: readonly bigint[]): OSArray {
  return OSArray.withObjects(values.map((v) => OSNumber.withNumber(BigInt.asUintN(64, v), 64)));
}

function readU64s(o: OSObject | null, what: string, max: number): bigint[] {
  if (o === null) return [];
  if (!(o instanceof OSArray)) throw bad(`${what} is not an array`);
  if (o.getCount() > max) throw bad(`${what} has ${o.getCount()} values, more than ${max}`);
  return [...o].map((n, i) => {
    if (!(n instanceof OSNumber)) throw bad(`${what}[${i}] is not a number`);
    return n.unsigned64BitValue();
  });
}

function readCount(o: OSObject | null, what: string, max: number): number {
  if (o === null) return 0;
  if (!(o instanceof OSNumber)) throw bad(`${what} is not a number`);
  const n = o.unsigned64BitValue();
  if (n > BigInt(max)) throw bad(`${what} is ${n}, more than ${max}`);
  return Number(n);
}

function readName(o: OSObject | null, what: string): string | null {
  if (o === null) return null;
  if (!(o instanceof OSString)) throw bad(`${what} is not a string`);
  return o.getCStringNoCopy();
}

/** Writes a call's fields into `m`. */
export function encodeCall(call: IOUserClientCall, m: OSDictionary): OSDictionary {
  m.setObject('selector', OSNumber.withNumber(call.selector, 64));
  if (call.scalarInput.length) m.setObject('scalarInput', u64s(call.scalarInput));
  if (call.structureInput) m.setObject('structureInput', OSData.withBytes(call.structureInput));
  if (call.structureInputMemory) {
    m.setObject('structureInputMemory', call.structureInputMemory);
    m.setObject('structureInputLength', call.structureInputLength);
  }
  m.setObject('scalarOutputCount', call.scalarOutputCount);
  m.setObject('structureOutputMaximumSize', OSNumber.withNumber(call.structureOutputMaximumSize, 64));
  if (call.structureOutputMemory) m.setObject('structureOutputMemory', call.structureOutputMemory);
  if (call.asyncReference) m.setObject('asyncReference', u64s(call.asyncReference));
  return m;
}

/** Reads a call from a frame, refusing every field of the wrong type or beyond Apple's limits. */
export function decodeCall(m: OSDictionary): IOUserClientCall {
  const selector = m.getObject('selector');
  if (!(selector instanceof OSNumber)) throw bad('no selector');
  const structureInput = m.getObject('structureInput');
  if (structureInput !== null && !(structureInput instanceof OSData)) throw bad('structureInput is not data');
  if (structureInput && structureInput.getLength() > kIOUserClientStructureInbandMax) {
    throw bad(`an inband structureInput of ${structureInput.getLength()} bytes exceeds ${kIOUserClientStructureInbandMax}; larger structures travel in memory`);
  }
  const structureInputMemory = readName(m.getObject('structureInputMemory'), 'structureInputMemory');
  const asyncReference = m.getObject('asyncReference');
  return {
    selector: selector.unsigned64BitValue(),
    scalarInput: readU64s(m.getObject('scalarInput'), 'scalarInput', kIOUserClientScalarArrayCountMax),
    structureInput: structureInput ? structureInput.getBytesNoCopy() : null,
    structureInputMemory,
    structureInputLength: structureInputMemory ? readCount(m.getObject('structureInputLength'), 'structureInputLength', kIOUserClientStructureMemoryMax) : 0,
    scalarOutputCount: readCount(m.getObject('scalarOutputCount'), 'scalarOutputCount', kIOUserClientScalarArrayCountMax),
    structureOutputMaximumSize: readCount(m.getObject('structureOutputMaximumSize'), 'structureOutputMaximumSize', kIOUserClientStructureMemoryMax),
    structureOutputMemory: readName(m.getObject('structureOutputMemory'), 'structureOutputMemory'),
    asyncReference: asyncReference === null ? null : readU64s(asyncReference, 'asyncReference', kIOUserClientAsyncReferenceCountMax),
  };
}

/** Writes a result's fields into `m`. */
export function encodeResult(r: IOUserClientCallResult, m: OSDictionary): OSDictionary {
  m.setObject('status', OSNumber.withNumber(r.status >>> 0, 32));
  if (r.message) m.setObject('message', r.message);
  if (r.scalarOutput.length) m.setObject('scalarOutput', u64s(r.scalarOutput));
  if (r.structureOutput) m.setObject('structureOutput', OSData.withBytes(r.structureOutput));
  if (r.structureOutputLength) m.setObject('structureOutputLength', r.structureOutputLength);
  return m;
}

/** Reads a result, with the same distrust as {@link decodeCall}. */
export function decodeResult(m: OSDictionary): IOUserClientCallResult {
  const status = m.getObject('status');
  const message = m.getObject('message');
  const structureOutput = m.getObject('structureOutput');
  if (structureOutput !== null && !(structureOutput instanceof OSData)) throw bad('structureOutput is not data');
  return {
    status: status instanceof OSNumber ? status.unsigned32BitValue() : 0,
    message: message instanceof OSString ? message.getCStringNoCopy() : null,
    scalarOutput: readU64s(m.getObject('scalarOutput'), 'scalarOutput', kIOUserClientScalarArrayCountMax),
    structureOutput: structureOutput ? structureOutput.getBytesNoCopy() : null,
    structureOutputLength: readCount(m.getObject('structureOutputLength'), 'structureOutputLength', kIOUserClientStructureMemoryMax),
  };
}

/** A fresh dictionary for a frame. */
export function frame(): OSDictionary {
  return OSDictionary.withCapacity(8);
}
