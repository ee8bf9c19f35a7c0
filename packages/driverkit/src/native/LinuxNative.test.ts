import { closeSync, writeSync } from 'node:fs';
import { LinuxNative } from '../index';

describe('LinuxNative.pollReadable', () => {
  test('resolves empty on timeout, and with the descriptor once it is readable, without blocking the event loop', async () => {
    const a = LinuxNative.eventfd();
    const b = LinuxNative.eventfd();
    try {
      expect(await LinuxNative.pollReadable([a, b], 30)).toEqual([]);
      const waiting = LinuxNative.pollReadable([a, b]);
      // The loop keeps turning while the poll waits on its thread.
      await new Promise((r) => setTimeout(r, 20));
      const one = Buffer.alloc(8);
      one.writeBigUInt64LE(1n);
      writeSync(b, one);
      expect(await waiting).toEqual([b]);
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });

  test('a descriptor that is not open reads as ready (POLLNVAL) rather than hanging', async () => {
    const a = LinuxNative.eventfd();
    closeSync(a);
    expect(await LinuxNative.pollReadable([a], 1000)).toEqual([a]);
  });
});
