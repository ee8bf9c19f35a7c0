import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IOBufferMemoryDescriptor, IOReturnError, fromOSObject, IOServiceHost, kIOMemoryDirectionInOut, kIOReturnNotResponding } from '@driverkit/driverkit';
import { IOUserSerial, type IOSerialQueues } from './index';

// In process, to look inside: what Start leaves behind when it fails, and a driver's own ring buffers.
describe('IOUserSerial', () => {
  let host: IOServiceHost;
  let dir: string;
  beforeEach(() => {
    host = new IOServiceHost({ mode: 'in-process', log: () => {} });
    dir = mkdtempSync(join(tmpdir(), 'dk-serial-unit-'));
    process.env.DRIVERKIT_TTY_DIR = dir;
  });
  afterEach(async () => {
    delete process.env.DRIVERKIT_TTY_DIR;
    await host.stop();
  });

  test('hardware that will not activate fails Start, and no tty, name or ring is left', async () => {
    class DeadUART extends IOUserSerial {
      override async HwActivate(): Promise<void> {
        throw new IOReturnError(kIOReturnNotResponding, 'the UART does not answer');
      }
    }
    const uart = new DeadUART();
    uart.setName('DeadUART');
    await expect(uart.startWithProvider(host.userResources, null)).rejects.toThrow('the UART does not answer');
    expect(readdirSync(dir)).toEqual([]);
    expect(uart.serialPortInterface).toBeNull();
    expect(uart.getProperty('IOCalloutDevice')).toBeNull();
  });

  test('initWith gives the port interface memory of the caller\'s: the rings\' indices are kept there', async () => {
    const ifmd = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64);
    const uart = new IOUserSerial();
    uart.setName('OnOwnInterface');
    expect(uart.initWith(IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8))).toBe(false);
    expect(uart.initWith(null)).toBe(false);
    expect(uart.initWith(ifmd)).toBe(true);
    await uart.startWithProvider(host.userResources, null);
    expect(uart.enqueueRxData(Uint8Array.of(1, 2, 3))).toBe(3);
    // rxPI, the first u32 of the interface, is in the caller's memory.
    expect(new DataView(ifmd.GetBytes().buffer, ifmd.GetBytes().byteOffset).getUint32(0, true)).toBe(3);
    expect(uart.serialPortInterface!.rxqlogsz).toBe(ifmd.GetBytes()[24]);
    // Once the queues are connected there is nothing left to initialise.
    expect(uart.initWith(IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 64))).toBe(false);
    await uart.Terminate();
    expect(ifmd.GetBytes().length).toBe(64);
  });

  test('a driver may give its own ring buffers (VSPDriver does), at an offset; bad sizes are refused by name', async () => {
    const rx = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8192);
    const tx = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, 8192);
    let queues: IOSerialQueues | null = null;
    class OwnRings extends IOUserSerial {
      override async ConnectQueues(_rxmd: IOBufferMemoryDescriptor | null, _txmd: IOBufferMemoryDescriptor | null): Promise<IOSerialQueues> {
        await expect(super.ConnectQueues(rx, tx, 0, 0, 14, 12)).rejects.toThrow(/the rx ring \(16384 bytes at 0\) does not fit its 8192-byte buffer/);
        await expect(super.ConnectQueues(null, null, 0, 0, 3, 12)).rejects.toThrow(/rx ring log2 size 3 is outside 4…24/);
        queues = await super.ConnectQueues(rx, tx, 4096, 0, 12, 12);
        return queues;
      }
    }
    const uart = new OwnRings();
    uart.setName('OwnRings');
    await uart.startWithProvider(host.userResources, null);
    expect(queues!.rxqmd).toBe(rx);
    expect(uart.serialPortInterface).toMatchObject({ rxqoffset: 4096, txqoffset: 0, rxqlogsz: 12, txqlogsz: 12 });
    // The RX ring is the second half of the driver's buffer.
    expect(uart.enqueueRxData(Uint8Array.of(1, 2, 3))).toBe(3);
    expect([...rx.GetBytes().subarray(4096, 4099)]).toEqual([1, 2, 3]);
    // Receive errors a pty cannot mark in the stream are counted where apps can read them.
    uart.RxError(true, false, false, true);
    uart.RxError(false, true, false, true);
    expect(fromOSObject(uart.getProperty('IOSerialRxErrors')!)).toEqual({ overrun: 1, break: 1, framing: 0, parity: 2 });
    expect(existsSync(join(dir, `cu.serial${uart.GetRegistryEntryID().toString(16)}`))).toBe(true);
    await uart.Terminate();
    // The driver's own buffers are still its own after the queues let go of them.
    expect(rx.GetBytes().length).toBe(8192);
  });
});
