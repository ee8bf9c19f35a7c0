import fc from 'fast-check';
import { isIOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { IOUserClientCallFrame, kIOUserClientCallFrameMagic } from './IOUserClientCallFrame';

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

test('a call and its reply come out of their frames as they went in', () => {
  fc.assert(
    fc.property(fc.nat(0xffff_fffe), u64, fc.array(u64, { maxLength: 16 }), fc.option(bytes(4096)), fc.nat(16), fc.nat(4096), fc.option(fc.array(u64, { maxLength: 16 })), fc.nat(), (rid, selector, scalarInput, structureInput, scalarOutputCount, structureOutputMaximumSize, asyncReference, asyncCall) => {
      const call = { selector, scalarInput, structureInput, structureInputMemory: null, structureInputLength: structureInput?.length ?? 0, scalarOutputCount, structureOutputMaximumSize, structureOutputMemory: null, asyncReference };
      const back = IOUserClientCallFrame.decodeCall(Buffer.from(IOUserClientCallFrame.encodeCall(rid, call, asyncReference ? asyncCall : null)));
      expect(back).toEqual({ rid, call, asyncCall: asyncReference ? asyncCall : null });
    }),
  );
  fc.assert(
    fc.property(fc.nat(0xffff_fffe), fc.nat(0xffff_ffff), fc.array(u64, { maxLength: 16 }), fc.option(bytes(4096)), fc.option(fc.string({ maxLength: 200 })), (rid, status, scalarOutput, structureOutput, message) => {
      const body = Buffer.from(IOUserClientCallFrame.encodeReply(rid, { status, message: message || null, scalarOutput, structureOutput }));
      expect(IOUserClientCallFrame.replyID(body)).toBe(rid);
      expect(IOUserClientCallFrame.decodeReply(body)).toEqual({ status, message: message || null, scalarOutput, structureOutput, structureOutputLength: 0 });
    }),
  );
});

test('any bytes after the magic decode or are refused with kIOReturnBadArgument, never a RangeError', () => {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(kIOUserClientCallFrameMagic);
  for (const decode of [IOUserClientCallFrame.decodeCall, IOUserClientCallFrame.decodeReply]) {
    fc.assert(
      fc.property(bytes(200), fc.constantFrom(1, 2), (tail, kind) => {
        const body = Buffer.concat([magic, Buffer.from([kind, 0, 0, 0]), tail]);
        try {
          decode(body);
        } catch (e) {
          expect(isIOReturnError(e) && e.code === kIOReturnBadArgument).toBe(true);
        }
      }),
    );
  }
});
