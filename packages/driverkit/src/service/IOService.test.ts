import { join } from 'node:path';
import {
  IOService,
  IOServiceHost,
  OSDictionary,
  OSNumber,
  fromOSObject,
  kIOReturnBadArgument,
  kIOReturnNotFound,
  kIOReturnNotReady,
  kIOReturnUnsupported,
  kIOServicePowerCapabilityLow,
  kIOServicePowerCapabilityOff,
  kIOServiceSearchPropertyParents,
} from '../index';

import { powerOverrideScenario } from '../../test/helpers';

const drivers = join(__dirname, '../../test/fixtures/drivers');
const log = ((globalThis as { __driverkitTestLog?: string[] }).__driverkitTestLog ??= []);

class TestNub extends IOService {}

function nub(name: string, props: Record<string, string | number | boolean>): TestNub {
  const n = new TestNub();
  n.setName(name);
  const d = OSDictionary.withCapacity(4);
  for (const [k, v] of Object.entries(props)) d.setObject(k, v);
  n.setProperties(d);
  return n;
}

async function hostWith(...nubs: TestNub[]) {
  const lines: string[] = [];
  const host = new IOServiceHost({ mode: 'in-process', log: (l) => lines.push(l) });
  host.addDriverBundle(join(drivers, 'TestDrivers'));
  for (const n of nubs) host.publishNub(n);
  await host.whenIdle();
  return { host, lines };
}

beforeEach(() => {
  log.length = 0;
});

describe('IOService lifecycle', () => {
  test('a matched driver is started on its provider, registers, and appears under it', async () => {
    const device = nub('dev0', { Role: 'record' });
    const { host } = await hostWith(device);
    const [driver] = [...host.clientsOf(device).values()];
    expect(driver!.getName()).toBe('Recorder');
    expect(driver!.GetProvider()).toBe(device);
    expect(driver!.isRegistered()).toBe(true);
    expect(driver!.getState()).toBe('started');
    expect(driver!.getPath()).toBe('IOService:/dev0/Recorder');
    expect(log).toEqual(['Start Recorder on dev0']);
    await host.stop();
  });

  test('Terminate stops clients first, then the service, and is idempotent; free runs once the last reference goes', async () => {
    const device = nub('dev1', { Role: 'record', MakeChild: true });
    const { host } = await hostWith(device);
    const driver = [...host.clientsOf(device).values()][0]!;
    expect(log).toEqual(['Start Recorder on dev1', 'Start child on Recorder']);
    const t1 = device.Terminate();
    const t2 = device.Terminate();
    expect(t1).toBe(t2);
    await t1;
    await host.whenIdle();
    expect(log).toEqual(['Start Recorder on dev1', 'Start child on Recorder', 'Stop child', 'Stop Recorder', 'free Recorder']);
    expect(driver.isInRegistry()).toBe(false);
    expect(driver.getState()).toBe('terminated');
    expect(host.clientsOf(device).size).toBe(0);
    await host.stop();
  });

  test('a Start that throws leaves nothing registered or attached, and the failure is reported', async () => {
    const device = nub('dev2', { Role: 'record', FailStart: true });
    const { host, lines } = await hostWith(device);
    expect(host.clientsOf(device).size).toBe(0);
    expect(device.getChildEntries()).toEqual([]);
    expect(lines.join('\n')).toMatch(/Recorder did not start on dev2: the device is not responding/);
    expect(log).toEqual(['Start Recorder on dev2', 'free Recorder']);
    await host.stop();
  });

  test('a Stop that throws is reported and termination still completes', async () => {
    const device = nub('dev3', { Role: 'record', FailStop: true });
    const { host, lines } = await hostWith(device);
    await device.Terminate();
    expect(lines.join('\n')).toMatch(/Recorder.Stop: stop failed/);
    expect(device.isInRegistry()).toBe(false);
    await host.stop();
  });

  test('Terminate cancels the service\'s queues, so queued work is dropped', async () => {
    const device = nub('dev4', { Role: 'record' });
    const { host } = await hostWith(device);
    const driver = [...host.clientsOf(device).values()][0]!;
    const q = driver.CreateDefaultDispatchQueue();
    await driver.Terminate();
    expect(q.isCancelled()).toBe(true);
    q.release();
    await host.stop();
  });

  test('properties: SetProperties, CopyProperties, SearchProperty up the providers, SetName', async () => {
    const device = nub('dev5', { Role: 'record', 'USB Serial Number': 'A1' });
    const { host } = await hostWith(device);
    const driver = [...host.clientsOf(device).values()][0]!;
    expect(() => driver.SearchProperty('USB Serial Number')).toThrow(expect.objectContaining({ code: kIOReturnNotFound }));
    expect(String(driver.SearchProperty('USB Serial Number', 'IOService', kIOServiceSearchPropertyParents))).toBe('A1');
    const d = OSDictionary.withCapacity(1);
    d.setObject('Mode', 'fast');
    driver.SetProperties(d);
    expect(driver.CopyProperties().getObject('Mode')?.toString()).toBe('fast');
    driver.SetName('RenamedDriver');
    expect(driver.CopyName().getCStringNoCopy()).toBe('RenamedDriver');
    expect(() => driver.SetName('a/b')).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    await host.stop();
  });

  test('SetPowerState accepts the declared states only; NewUserClient is unsupported by default', async () => {
    class Lamp extends IOService {
      static override powerStates = [kIOServicePowerCapabilityOff, kIOServicePowerCapabilityLow];
    }
    const lamp = new Lamp();
    lamp.SetPowerState(kIOServicePowerCapabilityLow);
    expect(lamp.GetPowerState()).toBe(kIOServicePowerCapabilityLow);
    expect(() => lamp.SetPowerState(2)).toThrow(/not one of its power states \(0x0, 0x10000\)/);
    await expect(lamp.NewUserClient(0)).rejects.toMatchObject({ code: kIOReturnUnsupported });
    await expect(lamp.Create(lamp, 'Nothing')).rejects.toMatchObject({ code: kIOReturnBadArgument });
  });

  test('host.stop terminates everything, clients first', async () => {
    const a = nub('devA', { Role: 'record', MakeChild: true });
    const b = nub('devB', { Role: 'record' });
    const { host } = await hostWith(a, b);
    await host.stop();
    expect(log.filter((l) => l.startsWith('Stop'))).toEqual(['Stop child', 'Stop Recorder', 'Stop Recorder']);
    expect(host.registry.root.getChildEntries()).toEqual([]);
  });
});

test('PM assertions: released by id, an unknown id refused, synced takes the CPU bit only; a full-wakeup assertion wakes the system straight back', async () => {
  const port = nub('port', { Role: 'power', Level: 'port', AssertBits: 0x800 });
  const { host, lines } = await hostWith(port);
  try {
    const d = host.clientsOf(port).get('IODefaultMatchCategory')!;
    const powers: number[] = [];
    const original = d.SetPowerState.bind(d);
    d.SetPowerState = (flags: number) => {
      powers.push(flags);
      return original(flags);
    };
    await host.setPowerState(kIOServicePowerCapabilityOff);
    expect(powers).toEqual([kIOServicePowerCapabilityOff, 2]);
    expect(lines.join('\n')).toMatch(/sleep: full wake at once \(asserted by PowerUser\)/);
    const id = d.getProperty('AssertionID') as OSNumber;
    expect(() => d.CreatePMAssertion(0x800, true)).toThrow(/synced: only kIOServicePMAssertionCPUBit/);
    expect(() => d.CreatePMAssertion(0x4)).toThrow(/known: 0x801/);
    d.ReleasePMAssertion(id.unsigned64BitValue());
    expect(fromOSObject(d.getProperty('IOPMAssertions')!)).toEqual([]);
    expect(() => d.ReleasePMAssertion(id.unsigned64BitValue())).toThrow(/no assertion/);
    await expect(new IOService().ChangePowerState(2)).rejects.toThrow(/call JoinPMTree first/);
    await expect(new IOService().SetPowerOverride(true)).rejects.toMatchObject({ code: kIOReturnNotReady, message: expect.stringMatching(/SetPowerOverride: call JoinPMTree first/) });
  } finally {
    await host.stop();
  }
});

test('SetPowerOverride in process: a provider\'s ChangePowerState waits on its power-managed client unless overridden', async () => {
  const { host } = await hostWith();
  try {
    expect(await powerOverrideScenario(host, nub('pm', { Role: 'power-parent' }))).toEqual([2, 0, 2, 0, 0]);
  } finally {
    await host.stop();
  }
});
