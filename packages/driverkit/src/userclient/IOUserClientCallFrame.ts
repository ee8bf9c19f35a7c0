import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import type { IOUserClientCall, IOUserClientCallResult } from './IOUserClientCall';
import { kIOUserClientAsyncReferenceCountMax, kIOUserClientScalarArrayCountMax, kIOUserClientStructureInbandMax } from './IOUserClientMethodArguments';

/** A call frame's first word ("DKUC"): never OSSerializeBinary's signature, so the two share a channel. */
export const kIOUserClientCallFrameMagic = 0x4355_4b44;
const KIND_CALL = 1;
const KIND_REPLY = 2;
const CALL_HEADER = 48;
const REPLY_HEADER = 28;
const NONE = 0xffff_ffff;
/** A reply's message is a reason for a log line: longer ones are cut. */
const MESSAGE_MAX = 4096;

/** One call as it arrives: the request id to answer, the call, and the app's id for its async completions. */
export interface IOUserClientFrameCall {
  rid: number;
  call: IOUserClientCall;
  asyncCall: number | null;
}

const bad = (why: string) => new IOReturnError(kIOReturnBadArgument, `user-client call frame: ${why}`);

/**
 * The fixed binary layout of an ExternalMethod call and its reply on a user client's own channel (app ↔
 * driver process), instead of an OSSerialization dictionary each way: the hot path of IOConnectCallMethod
 * pays for no dictionary, key or number object. Little-endian; every count is checked against Apple's
 * limits and the frame's length before anything is read, since the app is another program. Calls
 * naming shared memory never take this path (the host grants memory), so the layout has no names.
 *
 * Call: magic, kind 1, rid, flags (bit 0: async), asyncCall, selector (u64), scalar input count, scalar
 * output count, structure output maximum, structure input length (NONE: no structure), async reference
 * count; then the scalars, the reference words (u64 each) and the structure's bytes.
 * Reply: magic, kind 2, rid, status, scalar output count, structure output length (NONE: none), message
 * length; then the scalars, the structure and the message (UTF-8).
 */
export class IOUserClientCallFrame {
  /** Whether `body` is a call frame (rather than an OSSerializeBinary dictionary). */
  static is(body: Uint8Array): boolean {
    return body.length >= 4 && (body[0]! | (body[1]! << 8) | (body[2]! << 16) | (body[3]! << 24)) >>> 0 === kIOUserClientCallFrameMagic;
  }

  static encodeCall(rid: number, call: IOUserClientCall, asyncCall: number | null): Uint8Array {
    const refs = call.asyncReference ?? [];
    const structure = call.structureInput;
    const out = Buffer.allocUnsafe(CALL_HEADER + 8 * (call.scalarInput.length + refs.length) + (structure?.length ?? 0));
    out.writeUInt32LE(kIOUserClientCallFrameMagic, 0);
    out.writeUInt32LE(KIND_CALL, 4);
    out.writeUInt32LE(rid >>> 0, 8);
    out.writeUInt32LE(call.asyncReference ? 1 : 0, 12);
    out.writeUInt32LE((asyncCall ?? 0) >>> 0, 16);
    out.writeBigUInt64LE(BigInt.asUintN(64, call.selector), 20);
    out.writeUInt32LE(call.scalarInput.length, 28);
    out.writeUInt32LE(call.scalarOutputCount, 32);
    out.writeUInt32LE(call.structureOutputMaximumSize, 36);
    out.writeUInt32LE(structure ? structure.length : NONE, 40);
    out.writeUInt32LE(refs.length, 44);
    let at = CALL_HEADER;
    for (const v of call.scalarInput) at = out.writeBigUInt64LE(BigInt.asUintN(64, v), at);
    for (const v of refs) at = out.writeBigUInt64LE(BigInt.asUintN(64, v), at);
    if (structure) out.set(structure, at);
    return out;
  }

  /** The call's request id, when `body` has a whole call header (its counts are still unchecked); else null. */
  static callID(body: Buffer): number | null {
    return body.length >= CALL_HEADER && IOUserClientCallFrame.is(body) && body.readUInt32LE(4) === KIND_CALL ? body.readUInt32LE(8) : null;
  }

  static decodeCall(body: Buffer): IOUserClientFrameCall {
    if (IOUserClientCallFrame.callID(body) === null) throw bad(`not a call: a call is ${CALL_HEADER} bytes of header starting "DKUC", kind 1 (got ${body.length} bytes)`);
    const flags = body.readUInt32LE(12);
    if (flags & ~1) throw bad(`unknown flags 0x${flags.toString(16)}`);
    const scalars = body.readUInt32LE(28);
    const scalarOutputCount = body.readUInt32LE(32);
    const structureOutputMaximumSize = body.readUInt32LE(36);
    const structureLength = body.readUInt32LE(40);
    const refs = body.readUInt32LE(44);
    if (scalars > kIOUserClientScalarArrayCountMax) throw bad(`scalarInput has ${scalars} values, more than ${kIOUserClientScalarArrayCountMax}`);
    if (scalarOutputCount > kIOUserClientScalarArrayCountMax) throw bad(`${scalarOutputCount} scalar outputs asked, more than ${kIOUserClientScalarArrayCountMax}`);
    if (structureOutputMaximumSize > kIOUserClientStructureInbandMax) throw bad(`a structure output of up to ${structureOutputMaximumSize} bytes travels in memory, through the host`);
    if (structureLength !== NONE && structureLength > kIOUserClientStructureInbandMax) throw bad(`an inband structureInput of ${structureLength} bytes exceeds ${kIOUserClientStructureInbandMax}`);
    if (refs > kIOUserClientAsyncReferenceCountMax) throw bad(`${refs} async reference words, more than ${kIOUserClientAsyncReferenceCountMax}`);
    const async = (flags & 1) !== 0;
    if (!async && refs) throw bad('async reference words on a call that is not async');
    const expected = CALL_HEADER + 8 * (scalars + refs) + (structureLength === NONE ? 0 : structureLength);
    if (body.length !== expected) throw bad(`the counts make ${expected} bytes, the frame has ${body.length}`);
    let at = CALL_HEADER;
    const words = (n: number) => Array.from({ length: n }, () => ((at += 8), body.readBigUInt64LE(at - 8)));
    const scalarInput = words(scalars);
    const asyncReference = async ? words(refs) : null;
    const structureInput = structureLength === NONE ? null : new Uint8Array(body.subarray(at, at + structureLength));
    return {
      rid: body.readUInt32LE(8),
      asyncCall: async ? body.readUInt32LE(16) : null,
      call: {
        selector: body.readBigUInt64LE(20),
        scalarInput,
        structureInput,
        structureInputMemory: null,
        structureInputLength: structureInput?.length ?? 0,
        scalarOutputCount,
        structureOutputMaximumSize,
        structureOutputMemory: null,
        asyncReference,
      },
    };
  }

  static encodeReply(rid: number, r: Pick<IOUserClientCallResult, 'status' | 'message' | 'scalarOutput' | 'structureOutput'>): Uint8Array {
    const message = r.message ? Buffer.from(r.message.slice(0, MESSAGE_MAX), 'utf8') : null;
    const structure = r.structureOutput;
    const out = Buffer.allocUnsafe(REPLY_HEADER + 8 * r.scalarOutput.length + (structure?.length ?? 0) + (message?.length ?? 0));
    out.writeUInt32LE(kIOUserClientCallFrameMagic, 0);
    out.writeUInt32LE(KIND_REPLY, 4);
    out.writeUInt32LE(rid >>> 0, 8);
    out.writeUInt32LE(r.status >>> 0, 12);
    out.writeUInt32LE(r.scalarOutput.length, 16);
    out.writeUInt32LE(structure ? structure.length : NONE, 20);
    out.writeUInt32LE(message?.length ?? 0, 24);
    let at = REPLY_HEADER;
    for (const v of r.scalarOutput) at = out.writeBigUInt64LE(BigInt.asUintN(64, v), at);
    if (structure) {
      out.set(structure, at);
      at += structure.length;
    }
    if (message) out.set(message, at);
    return out;
  }

  /** The reply's request id, for matching it to its call before it is read. */
  static replyID(body: Buffer): number | null {
    return body.length >= REPLY_HEADER && IOUserClientCallFrame.is(body) && body.readUInt32LE(4) === KIND_REPLY ? body.readUInt32LE(8) : null;
  }

  static decodeReply(body: Buffer): IOUserClientCallResult {
    if (IOUserClientCallFrame.replyID(body) === null) throw bad(`a reply needs ${REPLY_HEADER} bytes of header, got ${body.length}`);
    const scalars = body.readUInt32LE(16);
    const structureLength = body.readUInt32LE(20);
    const messageLength = body.readUInt32LE(24);
    if (scalars > kIOUserClientScalarArrayCountMax) throw bad(`scalarOutput has ${scalars} values, more than ${kIOUserClientScalarArrayCountMax}`);
    if (structureLength !== NONE && structureLength > kIOUserClientStructureInbandMax) throw bad(`an inband structureOutput of ${structureLength} bytes exceeds ${kIOUserClientStructureInbandMax}`);
    if (messageLength > MESSAGE_MAX * 4) throw bad(`a message of ${messageLength} bytes`);
    const expected = REPLY_HEADER + 8 * scalars + (structureLength === NONE ? 0 : structureLength) + messageLength;
    if (body.length !== expected) throw bad(`the counts make ${expected} bytes, the frame has ${body.length}`);
    let at = REPLY_HEADER;
    const scalarOutput = Array.from({ length: scalars }, () => ((at += 8), body.readBigUInt64LE(at - 8)));
    const structureOutput = structureLength === NONE ? null : new Uint8Array(body.subarray(at, (at += structureLength)));
    return {
      status: body.readUInt32LE(12),
      message: messageLength ? body.toString('utf8', at, at + messageLength) : null,
      scalarOutput,
      structureOutput,
      structureOutputLength: 0,
    };
  }
}
