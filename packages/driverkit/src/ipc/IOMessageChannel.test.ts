import { PassThrough, Duplex } from 'node:stream';
import { IOMessageChannel, OSDictionary, OSSerializeBinary, kIOMessageMaxFrame, kIOReturnBadArgument, kIOReturnNotAttached, toOSDictionary } from '../index';

/** Two channel ends joined back to back. */
function pair(): [IOMessageChannel, IOMessageChannel, PassThrough, PassThrough] {
  const ab = new PassThrough();
  const ba = new PassThrough();
  const a = new IOMessageChannel(Duplex.from({ readable: ba, writable: ab }));
  const b = new IOMessageChannel(Duplex.from({ readable: ab, writable: ba }));
  return [a, b, ab, ba];
}

function frame(body: Uint8Array, length = body.length): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32LE(length);
  return Buffer.concat([h, body]);
}

describe('IOMessageChannel', () => {
  test('carries dictionaries both ways, whole even when the bytes arrive one at a time', async () => {
    const [a, b, ab] = pair();
    const got: OSDictionary[] = [];
    b.onMessage = (m) => got.push(m);
    a.send(toOSDictionary({ op: 'start', rid: 1, nested: { big: 2n ** 63n } }));
    await new Promise((r) => setImmediate(r));
    const bytes = frame(OSSerializeBinary(toOSDictionary({ op: 'second' })));
    for (const byte of bytes) ab.write(Buffer.from([byte]));
    await new Promise((r) => setImmediate(r));
    expect(got.map((m) => String(m.getObject('op')))).toEqual(['start', 'second']);
  });

  test.each([
    ['an oversized length', frame(Buffer.alloc(0), kIOMessageMaxFrame + 1), /declares \d+ bytes, more than/],
    ['bytes that do not decode', frame(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])), /does not decode/],
    ['a top level that is not a dictionary', frame(OSSerializeBinary('hello')), /holds OSString, not a dictionary/],
  ])('closes on %s, naming the problem', async (_what, bytes, message) => {
    const [a, b, ab] = pair();
    const closed = new Promise<Error | null>((r) => (b.onClose = r));
    ab.write(bytes);
    const e = await closed;
    expect(e).toMatchObject({ code: kIOReturnBadArgument, message: expect.stringMatching(message) });
    expect(b.isClosed()).toBe(true);
    void a;
  });

  test('sending on a closed channel is kIOReturnNotAttached', () => {
    const [a] = pair();
    a.close();
    expect(() => a.send(toOSDictionary({}))).toThrow(expect.objectContaining({ code: kIOReturnNotAttached }));
  });
});
