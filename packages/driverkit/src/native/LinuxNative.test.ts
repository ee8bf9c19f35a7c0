import { closeSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
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

test('mapShared maps a file from an offset; ioctlValue passes a number and reports errno', () => {
  const path = `/dev/shm/driverkit-test-offset-${process.pid}`;
  const page = LinuxNative.pageSize();
  const bytes = Buffer.alloc(2 * page);
  bytes.fill(0x11, 0, page);
  bytes.fill(0x22, page);
  writeFileSync(path, bytes);
  const fd = openSync(path, 'r+');
  try {
    const second = LinuxNative.mapShared(fd, page, false, page);
    expect(new Uint8Array(second.buffer).every((b) => b === 0x22)).toBe(true);
    LinuxNative.unmap(second);
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  // TCSBRK with a non-zero argument is tcdrain: on a pty master it succeeds at once.
  const pty = LinuxNative.openpt();
  try {
    expect(LinuxNative.ioctlValue(pty.master, 0x5409, 1)).toBe(0);
  } finally {
    closeSync(pty.master);
  }
  const efd = LinuxNative.eventfd();
  try {
    expect(() => LinuxNative.ioctlValue(efd, 0x5409, 1)).toThrow(expect.objectContaining({ osError: 25 }));
  } finally {
    closeSync(efd);
  }
});
