import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ReadStream } from 'node:tty';
import { IOServiceHost, LinuxNative, kIOReturnNotReady } from '@driverkit/driverkit';
import { SerialPort } from 'serialport';
import { IOSerialStreamSync, register, serialTTYProvider, udevadmAvailable } from '../index';
import { TCGETS2, TERMIOS2_SIZE } from '../kernel/Termios';
import { until } from '../../test/helpers';

const fixture = join(__dirname, '../../test/fixtures/serial-tty-echo');

describe('existing ttys through serialport', () => {
  let host: IOServiceHost;
  let stop: () => Promise<void>;
  beforeEach(async () => {
    host = new IOServiceHost({ mode: 'in-process', log: () => {} });
    stop = await register(host);
  });
  afterEach(async () => {
    await stop();
    await host.stop();
  });

  test('every tty SerialPort.list() finds is published with its properties', async () => {
    expect(udevadmAvailable()).toBe(true); // scripts/setup.sh installs udev
    const listed = await SerialPort.list();
    const nubs = host.nubs().filter((n): n is IOSerialStreamSync => n instanceof IOSerialStreamSync);
    expect(nubs.map((n) => n.path).sort()).toEqual(listed.map((p) => p.path).sort());
    for (const p of listed) {
      const nub = nubs.find((n) => n.path === p.path)!;
      if (p.vendorId) expect(String(nub.getProperty('idVendor'))).toBe(String(parseInt(p.vendorId, 16)));
    }
  });

  test('a driver on a pty (an existing tty no listing finds) reads and writes it through serialport, and stops when it goes', async () => {
    // The pty's master plays the device; its slave is the tty the driver opens.
    const { master, path } = LinuxNative.openpt();
    // Reading a master whose slave nobody has open fails (EIO): hold the slave open meanwhile.
    const slave = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    const device = new ReadStream(master);
    device.on('error', () => {});
    let fromDriver = '';
    device.on('data', (d: Buffer) => (fromDriver += d.toString()));
    try {
      host.addDriverBundle(fixture);
      const remove = serialTTYProvider(host).add({ path, pnpId: 'driverkit-test-echo' });
      const nub = await until(() => host.nubs().find((n): n is IOSerialStreamSync => n instanceof IOSerialStreamSync && n.path === path), 'the pty nub');
      expect(String(nub.getProperty('IOTTYDevice'))).toBe(path.split('/').pop());
      const driver = await until(() => host.clientsOf(nub).get('IODefaultMatchCategory'), 'the driver on the pty');
      expect(driver.getName()).toBe('TTYUpperEcho');
      // Once serialport has made the tty raw (ICANON off), talk to the driver as the device would.
      const termios = new Uint8Array(TERMIOS2_SIZE);
      await until(() => (LinuxNative.ioctl(master, TCGETS2, termios), (new DataView(termios.buffer).getUint32(12, true) & 0o2) === 0), 'the tty to be raw');
      writeSync(master, 'hello from the device\n');
      await until(() => fromDriver.includes('HELLO FROM THE DEVICE\n'), 'the driver’s answer');
      await remove();
      await until(() => !host.nubs().includes(nub), 'the nub to go');
      expect(driver.isInactive()).toBe(true);
    } finally {
      device.destroy();
      closeSync(slave);
    }
  });

  test('each host has its own provider: a tty added to one is published on that host only, and a host without the plugin says so', async () => {
    const other = new IOServiceHost({ mode: 'in-process', log: () => {} });
    expect(() => serialTTYProvider(other)).toThrow(expect.objectContaining({ code: kIOReturnNotReady, message: expect.stringContaining('no tty provider') }));
    const stopOther = await register(other);
    try {
      expect(serialTTYProvider(other)).not.toBe(serialTTYProvider(host));
      const { master, path } = LinuxNative.openpt();
      try {
        const remove = serialTTYProvider(other).add({ path });
        await until(() => other.nubs().some((n) => n instanceof IOSerialStreamSync && n.path === path), 'the pty nub on the other host');
        expect(host.nubs().some((n) => n instanceof IOSerialStreamSync && n.path === path)).toBe(false);
        await remove();
      } finally {
        closeSync(master);
      }
    } finally {
      await stopOther();
      await other.stop();
    }
    expect(() => serialTTYProvider(other)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
    expect(serialTTYProvider(host)).toBeDefined();
  });

  test('opening a tty that is not there fails with the path and the reason', async () => {
    const nub = new IOSerialStreamSync();
    nub.setName('ghost');
    nub.setProperty('IOCalloutDevice', '/dev/does-not-exist');
    const client = new IOSerialStreamSync();
    client.setName('client');
    await expect(nub.Open(client, { baudRate: 9600 }, null)).rejects.toThrow(/cannot open \/dev\/does-not-exist: .*No such file/);
    await expect(nub.Write(Uint8Array.of(1))).rejects.toThrow(/is not open/);
    nub.release();
    client.release();
  });
});
