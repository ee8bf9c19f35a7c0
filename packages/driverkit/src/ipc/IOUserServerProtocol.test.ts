import { IOReturnError } from '../IOReturn/IOReturnError';
import { kIOReturnBadArgument } from '../IOReturn/IOReturn';
import { OSDictionary } from '../os/OSDictionary';
import type { OSNumber } from '../os/OSNumber';
import { toOSDictionary } from '../os/OSValue';
import { OSSerializeBinary } from '../serialization/OSSerializeBinary';
import { OSUnserializeBinary } from '../serialization/OSUnserializeBinary';
import {
  decodeUserServerMessage,
  dispatchUserServerMessage,
  encodeUserServerMessage,
  kDriverToHostOps,
  kHostToDriverOps,
  type IODriverToHostMessage,
  type IOUserServerHandlers,
  type IOUserServerMessage,
} from './IOUserServerProtocol';

/** A message as the other side reads it: encoded, serialized, deserialized, decoded. */
function across(message: IOUserServerMessage, ops: readonly IOUserServerMessage['op'][]): IOUserServerMessage {
  const d = encodeUserServerMessage(message);
  const frame = OSUnserializeBinary(OSSerializeBinary(d)) as OSDictionary;
  d.release();
  return decodeUserServerMessage(frame, ops);
}

describe('IOUserServerProtocol', () => {
  test('messages of every field kind read back as they were written', () => {
    expect(across({ op: 'init', name: 'd', bundleIdentifier: 'org.example.d' }, kHostToDriverOps)).toEqual({ op: 'init', name: 'd', bundleIdentifier: 'org.example.d' });
    expect(across({ op: 'completion', userClient: '7', call: 12, status: 0xe00002bc, data: [1n, 2n ** 64n - 1n] }, kDriverToHostOps)).toEqual({ op: 'completion', userClient: '7', call: 12, status: 0xe00002bc, data: [1n, 2n ** 64n - 1n] });
    expect(across({ op: 'providerChain', rid: 3, provider: 2n ** 40n, keys: ['idVendor', 'idProduct'] }, kDriverToHostOps)).toEqual({ op: 'providerChain', rid: 3, provider: 2n ** 40n, keys: ['idVendor', 'idProduct'] });
    const call = across({ op: 'providerCall', rid: 1, provider: 5n, method: 'AsyncIO', args: toOSDictionary({ length: 8 }) }, kDriverToHostOps);
    expect(call).toMatchObject({ op: 'providerCall', rid: 1, provider: 5n, method: 'AsyncIO' });
    expect(((call as IOUserServerMessage<'providerCall'>).args.getObject('length') as OSNumber).unsigned32BitValue()).toBe(8);
    // Optional fields left out stay out.
    expect(across({ op: 'reply', rid: 9, status: 0 }, kHostToDriverOps)).toEqual({ op: 'reply', rid: 9, status: 0 });
  });

  test('each side takes only its own messages', () => {
    const start = encodeUserServerMessage({ op: 'start', rid: 1, properties: OSDictionary.withCapacity(0), provider: OSDictionary.withCapacity(0) });
    expect(() => decodeUserServerMessage(start, kDriverToHostOps)).toThrow(/a message of op start, which this side does not take/);
    expect(decodeUserServerMessage(start, kHostToDriverOps).op).toBe('start');
  });

  test.each([
    ['no op', {}, /a message without an op/],
    ['an unknown op', { op: 'format' }, /op format, which this side does not take/],
    ['a missing field', { op: 'registered' }, /registered: no service/],
    ['a field of the wrong kind', { op: 'properties', service: '1', properties: 'all' }, /properties: properties is not a dictionary/],
    ['a number past 2^53', { op: 'clientPowerState', rid: 2n ** 60n, service: '1' }, /clientPowerState: rid is not a number/],
    ['an array with a stranger in it', { op: 'completion', userClient: '1', call: 1, status: 0, data: [1, 'two'] }, /completion: data is not an array of numbers/],
  ])('a frame with %s is refused by name', (_what, fields, reason) => {
    const e = (() => {
      try {
        decodeUserServerMessage(toOSDictionary(fields), kDriverToHostOps);
      } catch (error) {
        return error;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(IOReturnError);
    expect((e as IOReturnError).code).toBe(kIOReturnBadArgument);
    expect((e as IOReturnError).message).toMatch(reason);
  });

  test('the dispatcher runs the handler of the message’s op, with the message typed', () => {
    const seen: string[] = [];
    const handlers: IOUserServerHandlers<IODriverToHostMessage> = {
      providerCall: (m) => seen.push(`providerCall ${m.method}`),
      serviceCall: (m) => seen.push(`serviceCall ${m.ioClass}`),
      providerChain: (m) => seen.push(`providerChain ${m.provider}`),
      stateItem: (m) => seen.push(`stateItem ${m.action}`),
      clientPowerState: (m) => seen.push(`clientPowerState ${m.service}`),
      completion: (m) => seen.push(`completion ${m.data.length}`),
      userClientCalls: (m) => seen.push(`userClientCalls ${m.count}`),
      properties: (m) => seen.push(`properties ${m.service}`),
      registered: (m) => seen.push(`registered ${m.service}`),
      terminated: (m) => seen.push(`terminated ${m.service}`),
    };
    dispatchUserServerMessage(handlers, { op: 'stateItem', rid: 1, action: 'copy', name: 'x' });
    dispatchUserServerMessage(handlers, { op: 'terminated', service: '4' });
    expect(seen).toEqual(['stateItem copy', 'terminated 4']);
  });
});
