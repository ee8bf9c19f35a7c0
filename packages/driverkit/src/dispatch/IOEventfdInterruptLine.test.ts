import { spawn } from 'node:child_process';
import { fstatSync } from 'node:fs';
import {
  IODispatchQueue,
  IOEventfdInterruptLine,
  IOInterruptDispatchSource,
  OSAction,
  OSObject,
  kIOReturnNotOpen,
  type IOInterruptLine,
  type IOInterruptProvider,
} from '../index';
import { waitFor } from '../../test/helpers';

class Device extends OSObject implements IOInterruptProvider {
  readonly line = new IOEventfdInterruptLine();
  copyInterruptLine(index: number): IOInterruptLine | null {
    return index === 0 ? this.line : null;
  }
}

class Driver extends OSObject {
  counts: bigint[] = [];
  InterruptOccurred(_action: OSAction, count: bigint, _time: bigint): void {
    this.counts.push(count);
  }
}

function setup() {
  const device = new Device();
  const driver = new Driver();
  const source = IOInterruptDispatchSource.Create(device, 0, IODispatchQueue.Create('irq', 0, 0));
  source.SetHandler(OSAction.Create(driver, 'InterruptOccurred', 0));
  return { device, driver, source };
}

describe('IOEventfdInterruptLine', () => {
  test('each read of the eventfd becomes one delivery carrying how many signals arrived', async () => {
    const { device, driver, source } = setup();
    device.line.signal(3);
    await waitFor(() => driver.counts.length === 1);
    expect(driver.counts).toEqual([3n]);
    device.line.signal();
    await waitFor(() => driver.counts.length === 2);
    expect(source.GetLastInterrupt().count).toBe(4n);
    source.Cancel();
    device.line.close();
  });

  test('another process signals the line by writing to the eventfd', async () => {
    const { device, driver, source } = setup();
    // The child inherits the eventfd as its descriptor 3, as a device process or VFIO would hold it.
    const script = `const b = Buffer.alloc(8); b.writeBigUInt64LE(7n); require('fs').writeSync(3, b);`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit', device.line.fd] });
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    await waitFor(() => driver.counts.length === 1);
    expect(driver.counts).toEqual([7n]);
    source.Cancel();
    device.line.close();
  });

  test('cancelling the source ends the read without a spurious interrupt; close releases the fd', async () => {
    const { device, driver, source } = setup();
    const fd = device.line.fd;
    source.Cancel();
    device.line.signal(2);
    await new Promise((r) => setTimeout(r, 20));
    expect(driver.counts).toEqual([]);
    device.line.close();
    await waitFor(() => device.line.fd === -1);
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
    expect(() => device.line.signal()).toThrow(expect.objectContaining({ code: kIOReturnNotOpen }));
  });
});
