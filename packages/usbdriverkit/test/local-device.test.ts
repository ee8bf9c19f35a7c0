// Devices a driver process can reach itself (libusb's, or any backend with a locator) are opened in
// the driver process, as a dext opens its device: the host grants the Open and keeps it exclusive,
// and every transfer runs on the driver's own handle. The located loopback device answers with the
// pid of the process serving it, so the test sees where the I/O ran.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IOService, IOServiceHost, isIOReturnError, kIOReturnExclusiveAccess, kIOReturnNotOpen, kIOReturnNotPermitted, toOSDictionary, type IORemoteCaller } from '@driverkit/driverkit';
import { IOUSBHostInterface, VirtualUSBHost, register, type USBDeviceLocator, type VirtualUSBDeviceModel } from '../src/index';
import { USBDeviceSession } from '../src/access/USBDeviceSession';
import { serveUSBCall } from '../src/access/USBRemoteAccess';
import { waitFor } from './helpers';

const fixtures = join(__dirname, 'fixtures');
const descriptors = JSON.parse(readFileSync(join(fixtures, 'loopback-device.json'), 'utf8')) as VirtualUSBDeviceModel;

/** The host's bus: it publishes the loopback device, and says where a driver process finds its own. */
class LocatedLoopbackBus extends VirtualUSBHost {
  /** Transfers that reached the host's copy of the device (none should). */
  hostTransfers = 0;
  refuse: string | null = null;

  plug(): void {
    const count = () => void this.hostTransfers++;
    this.attach({ ...descriptors, control: (s: { bRequest: number }) => (s.bRequest === 1 ? (count(), new TextEncoder().encode(String(process.pid))) : null), out: count, in: () => (count(), new Uint8Array(0)) });
  }

  locate(id: string): USBDeviceLocator {
    return { backend: 'module', id, module: join(fixtures, 'LoopbackBackend.mjs'), export: 'LoopbackBackend', options: this.refuse ? { refuse: this.refuse } : {} };
  }
}


function driverOf(host: IOServiceHost): IOService | undefined {
  return [...host.registry.entries()].find((e): e is IOService => e instanceof IOService && e.getProperty('Loopback') !== null);
}

const numberOf = (s: IOService, key: string) => Number(String(s.getProperty(key)));

describe('a located device from a driver process', () => {
  let host: IOServiceHost;
  let bus: LocatedLoopbackBus;
  let stop: () => Promise<void>;
  const lines: string[] = [];

  beforeAll(async () => {
    host = new IOServiceHost({ log: (l) => lines.push(l), relaunchDelayMs: 20 });
    bus = new LocatedLoopbackBus();
    stop = await register(host, { backends: [bus] });
    bus.plug();
    host.addDriverBundle(join(fixtures, 'LocalUSBDriver'));
    await host.whenIdle();
  });

  afterAll(async () => {
    await stop();
    await host.stop();
  });

  test('is opened and driven in the driver process, never through the host', async () => {
    await waitFor(() => driverOf(host) !== undefined, 20_000, 'the driver started');
    const driver = driverOf(host)!;
    const pid = numberOf(driver, 'DriverPID');
    expect(pid).not.toBe(process.pid);
    expect(String(driver.getProperty('Loopback'))).toBe('fedcba');
    expect(numberOf(driver, 'ServedBy')).toBe(pid);
    expect(bus.hostTransfers).toBe(0);
    // Nothing forced root on it: the driver runs as the drivers' account, as before.
    const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    if (process.getuid?.() === 0 && lines.every((l) => !l.includes('runs as root'))) expect(uid).not.toBe(0);
    expect(lines.join('\n')).not.toMatch(/uncaught|unhandled/i);
  });

  test('the host keeps the Open exclusive and records the setting the driver selected', async () => {
    const iface = [...host.registry.entries()].find((e): e is IOUSBHostInterface => e instanceof IOUSBHostInterface)!;
    const other = new IOService();
    other.init();
    const refused = await iface.Open(other).then(() => 0, (e) => (isIOReturnError(e) ? e.code : -1));
    expect(refused).toBe(kIOReturnExclusiveAccess);
    const snapshot = await iface.access.snapshot();
    expect(snapshot.alternates[0]).toBe(1);
    other.release();
  });

  test('a killed driver lets go of its grant: the relaunched one opens the device again in its new process', async () => {
    const first = numberOf(driverOf(host)!, 'DriverPID');
    process.kill(first, 'SIGKILL');
    await waitFor(() => {
      const d = driverOf(host);
      return d !== undefined && numberOf(d, 'DriverPID') !== first;
    }, 20_000, 'the relaunched driver');
    const driver = driverOf(host)!;
    expect(String(driver.getProperty('Loopback'))).toBe('fedcba');
    expect(numberOf(driver, 'ServedBy')).toBe(numberOf(driver, 'DriverPID'));
    expect(bus.hostTransfers).toBe(0);
  });
});

describe('a granted scope in the host', () => {
  const caller: IORemoteCaller = { key: 'driver:1', onGone: () => {} };

  async function granted(): Promise<USBDeviceSession> {
    const bus = new LocatedLoopbackBus();
    bus.plug();
    const [info] = await bus.list();
    const session = new USBDeviceSession(bus, info!);
    const reply = await serveUSBCall(session, 'open', toOSDictionary({ client: 'c', scope: 0, options: 0, local: true }), caller);
    expect(String(reply!.getObject('backend'))).toBe('module');
    return session;
  }

  test('refuses the host-side data path for it, and records only what its owner did', async () => {
    const session = await granted();
    const call = (method: string, args: Record<string, number | string>) => serveUSBCall(session, method, toOSDictionary(args), caller).then(() => 0, (e) => (isIOReturnError(e) ? e.code : -1));
    expect(await call('io', { client: 'c', endpoint: 0x82, length: 8, timeout: 0 })).toBe(kIOReturnNotPermitted);
    expect(await call('control', { client: 'c', scope: 0, bmRequestType: 0xc1, bRequest: 1, wValue: 0, wIndex: 0, wLength: 8, timeout: 0 })).toBe(kIOReturnNotPermitted);
    expect(await call('selectAlternateSetting', { client: 'c', interface: 0, alternateSetting: 1 })).toBe(kIOReturnNotPermitted);
    // Another client of the same process may not record for it, nor name a setting the interface lacks.
    expect(await call('recordGranted', { client: 'd', interface: 0, alternateSetting: 1 })).toBe(kIOReturnNotOpen);
    await expect(serveUSBCall(session, 'recordGranted', toOSDictionary({ client: 'c', interface: 0, alternateSetting: 7 }), caller)).rejects.toThrow('has no alternate setting 7');
    expect(await call('recordGranted', { client: 'c', interface: 0, alternateSetting: 1 })).toBe(0);
    expect((await session.snapshot()).alternates[0]).toBe(1);
    // Its process gone, the scope is free (the kernel closed that process's handle).
    await session.closeClients('driver:1');
    await session.open('host-client', 0, 0);
    await session.close('host-client', 0);
  });

  test('a driver process that cannot make the backend gives the grant back and says why', async () => {
    const bus = new LocatedLoopbackBus();
    bus.refuse = 'no backend in this process';
    const lines: string[] = [];
    const host = new IOServiceHost({ log: (l) => lines.push(l), relaunchDelayMs: 20, relaunchLimit: 0 });
    const stop = await register(host, { backends: [bus] });
    try {
      bus.plug();
      host.addDriverBundle(join(fixtures, 'LocalUSBDriver'));
      await host.whenIdle();
      await waitFor(() => lines.some((l) => l.includes('no backend in this process')), 20_000, 'the refusal in the log');
      const iface = [...host.registry.entries()].find((e): e is IOUSBHostInterface => e instanceof IOUSBHostInterface)!;
      const other = new IOService();
      other.init();
      await iface.Open(other);
      await iface.Close(other);
      other.release();
    } finally {
      await stop();
      await host.stop();
    }
  });
});
