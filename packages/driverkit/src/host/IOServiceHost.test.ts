import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IODriverAccount, IOReturnError, IOService, IOServiceHost, IOSharedMemory, OSNumber, kIODriverAccountName, kIOUserServerRootReasonKey, fromOSObject, kIOReturnUnsupported, toOSDictionary, type IOServiceHostEvent, type OSValue } from '../index';
import { alive, powerOverrideScenario, waitFor } from '../../test/helpers';

// Driver processes run the built package (dist/), as users' drivers do: `npm test` builds first.
const drivers = join(__dirname, '../../test/fixtures/drivers');

class TestNub extends IOService {
  /** What ClientCrashed saw: each crashed client's name, and whether it was still active then. */
  crashes: string[] = [];
  override ClientCrashed(client: IOService): void {
    this.crashes.push(`${client.getName()} ${client.isInactive() ? 'inactive' : 'active'}`);
  }
}

function nub(name: string, props: Record<string, OSValue>): TestNub {
  const n = new TestNub();
  n.setName(name);
  for (const [k, v] of Object.entries(props)) n.setProperty(k, v);
  return n;
}

function pidOf(service: IOService | undefined): number {
  return Number((service!.getProperty('DriverPID') as OSNumber).unsigned32BitValue());
}

/** The handles a driver server holds in the host: its child process and its pipes and socket. */
function processHandles(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r === 'ProcessWrap' || r === 'PipeWrap')
    .sort();
}

describe('IOUserServer: drivers in their own processes', () => {
  let host: IOServiceHost;
  let events: IOServiceHostEvent[];
  let baseline: string[];

  beforeEach(async () => {
    await waitFor(() => !processHandles().includes('ProcessWrap'));
    baseline = processHandles();
    events = [];
    host = new IOServiceHost({ relaunchDelayMs: 20, relaunchLimit: 2 });
    host.onEvent((e) => events.push(e));
    host.addDriverBundle(join(drivers, 'TestDrivers'));
  });

  afterEach(async () => {
    await host.stop();
  });

  /** Publishes the nub and resolves with the driver the host started on it, in its process. */
  async function startedOn(n: TestNub): Promise<IOService> {
    host.publishNub(n);
    await waitFor(() => events.some((e) => e.provider === n && e.kind === 'started'));
    await host.whenIdle();
    return host.clientsOf(n).get('IODefaultMatchCategory')!;
  }

  test('each matched service gets a process of its own; the host holds a proxy of the IOClass', async () => {
    const a = nub('a', { Role: 'record' });
    const b = nub('b', { Role: 'record' });
    host.publishNub(a);
    host.publishNub(b);
    await host.whenIdle();
    const pa = host.clientsOf(a).get('IODefaultMatchCategory')!;
    const pb = host.clientsOf(b).get('IODefaultMatchCategory')!;
    expect(pa.getClassName()).toBe('IOUserService');
    expect(pa.getName()).toBe('Recorder');
    expect(pa.isRegistered()).toBe(true);
    expect(pidOf(pa)).not.toBe(process.pid);
    expect(pidOf(pa)).not.toBe(pidOf(pb));
    expect(alive(pidOf(pa))).toBe(true);
    expect(host.servers().map((s) => s.pid).sort()).toEqual([pidOf(pa), pidOf(pb)].sort());
  });

  test('a driver process runs as _driverkit unless its nub says why its backend needs root, which the host logs', async () => {
    const uidOf = (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    const account = IODriverAccount.lookup(kIODriverAccountName)!;
    const lines: string[] = [];
    await host.stop();
    host = new IOServiceHost({ log: (l) => lines.push(l) });
    host.addDriverBundle(join(drivers, 'TestDrivers'));
    const plain = nub('plain', { Role: 'record' });
    const device = nub('device', { Role: 'record', [kIOUserServerRootReasonKey]: 'its device node is root\'s' });
    host.publishNub(plain);
    host.publishNub(device);
    await host.whenIdle();
    const [p, d] = [plain, device].map((n) => host.clientsOf(n).get('IODefaultMatchCategory')!);
    // A checkout the account cannot read (a private folder above it) keeps drivers as root, saying so.
    const drops = account.canRead(join(drivers, 'TestDrivers'));
    expect([uidOf(pidOf(p)), uidOf(pidOf(d))]).toEqual([drops ? account.uid : 0, 0]);
    expect(Number((p.getProperty('IOUserServerUID') as OSNumber).unsigned32BitValue())).toBe(drops ? account.uid : 0);
    if (!drops) expect(lines.join('\n')).toMatch(new RegExp(`${pidOf(p)}\\] runs as root: _driverkit cannot read `));
    expect(lines.join('\n')).toMatch(new RegExp(`\\[.* ${pidOf(d)}\\] runs as root: device's backend needs root in the driver process: its device node is root's`));
    if (drops) expect(lines.join('\n')).not.toMatch(new RegExp(`${pidOf(p)}\\] runs as root`));
  });

  test('once shutdown has begun (stopMatching), a nub published or left behind starts no driver', async () => {
    host.stopMatching();
    const late = nub('late', { Role: 'record' });
    host.publishNub(late);
    await host.whenIdle();
    expect(host.clientsOf(late).size).toBe(0);
    expect(events.filter((e) => e.kind === 'started' || e.kind === 'failed')).toEqual([]);
  });

  test('a driver service calls its kernel half, which the family registered by IOClass; the half goes when the service or its process does', async () => {
    const halves: Array<{ ioClass: string; caller: string; userClass: string; ended: boolean }> = [];
    host.registerKernelClass('TestKernelClass', (context) => {
      const half = { ioClass: context.ioClass, caller: context.caller.key, userClass: String(fromOSObject(context.properties.getObject('IOUserClass')!)), ended: false };
      halves.push(half);
      return {
        handleRemoteCall: async (method, args) => {
          if (method !== 'hello') throw new IOReturnError(kIOReturnUnsupported, `no ${method}`);
          return toOSDictionary({ n: Number((args.getObject('n') as OSNumber).unsigned32BitValue()) + 1 });
        },
        serviceEnded: async () => {
          half.ended = true;
        },
      };
    });
    const a = nub('a', { Role: 'kernel' });
    const driver = await startedOn(a);
    expect(Number((driver.getProperty('KernelAnswer') as OSNumber).unsigned32BitValue())).toBe(42);
    expect(halves).toEqual([{ ioClass: 'TestKernelClass', caller: `org.driverkit.test.KernelCaller#${a.GetRegistryEntryID().toString(16)}.IODefaultMatchCategory:${pidOf(driver)}`, userClass: 'KernelCaller', ended: false }]);
    await a.Terminate();
    await waitFor(() => halves[0]!.ended);

    // Killed: the half still ends.
    const b = nub('b', { Role: 'kernel' });
    const killed = await startedOn(b);
    process.kill(pidOf(killed), 'SIGKILL');
    await waitFor(() => halves.length >= 2 && halves[1]!.ended);
    // The host relaunches the driver; its new process gets a new half.
    await waitFor(() => halves.length === 3);
    await host.whenIdle();

    // A service started as an IOUserService that claims TestKernelClass is not believed.
    const c = nub('c', { Role: 'spoof', Spoof: true });
    const spoofer = await startedOn(c);
    expect(String(fromOSObject(spoofer.getProperty('KernelRefusal')!))).toMatch(/the calling service is not one this driver process was asked to start/);
    expect(halves).toHaveLength(3);
  });

  test('JoinPMTree, ChangePowerState, PM assertions and CopyProviderProperties from a driver process; the host\'s sleep honours the assertions', async () => {
    const logs: string[] = [];
    const h = new IOServiceHost({ log: (l) => logs.push(l) });
    h.addDriverBundle(join(drivers, 'TestDrivers'));
    try {
      const hub = nub('hub', { Level: 'hub' });
      h.publishNub(hub);
      const port = nub('port', { Role: 'power', Level: 'port', StartOff: true, AssertBits: 0x001 });
      h.publishNub(port, hub);
      await h.whenIdle();
      const d = h.clientsOf(port).get('IODefaultMatchCategory')!;
      expect(String(fromOSObject(d.getProperty('EarlyAssertion')!))).toMatch(/CreatePMAssertion: call JoinPMTree first/);
      expect(fromOSObject(d.getProperty('ProviderChain')!)).toEqual([{ Level: 'port' }, { Level: 'hub' }]);
      // ChangePowerState(Off) in Start went through SetPowerState; IOPowerManagement shows it.
      expect(fromOSObject(d.getProperty('IOPowerManagement')!)).toEqual({ CurrentPowerState: 0, CapabilityFlags: 0, MaxPowerState: 1 });
      expect(fromOSObject(d.getProperty('IOPMAssertions')!)).toEqual([{ AssertionID: expect.anything(), AssertionBits: 1 }]);
      await h.setPowerState(2);
      expect(Number((d.getProperty('LastPower') as OSNumber).unsigned32BitValue())).toBe(2);
      // A CPU assertion: the system's sleep is a dark wake, the driver stays powered.
      await h.setPowerState(0);
      expect(Number((d.getProperty('LastPower') as OSNumber).unsigned32BitValue())).toBe(2);
      expect(logs.join('\n')).toMatch(/sleep: dark wake, drivers stay powered \(CPU assertions held by PowerUser\)/);
    } finally {
      await h.stop();
    }
  });

  test('SetPowerOverride across driver processes: a provider\'s ChangePowerState waits on its power-managed client in another process unless overridden', async () => {
    const n = nub('pm', { Role: 'power-parent' });
    expect(await powerOverrideScenario(host, n)).toEqual([2, 0, 2, 0, 0]);
    const parent = host.clientsOf(n).get('IODefaultMatchCategory')!;
    const child = parent.getChildEntries()[0] as IOService;
    expect(pidOf(child)).not.toBe(pidOf(parent));
    // The parent went Off, On, Off: SetPowerState ran in its process each time. Its LastPower comes in
    // the properties frame after the one that published the power state, which a loaded host may read
    // apart.
    await waitFor(() => Number((parent.getProperty('LastPower') as OSNumber).unsigned32BitValue()) === 0, 5_000, 'LastPower 0');
  });

  test('state notification items: created in one driver process, watched from another, set by the host; schema entitlements enforced', async () => {
    const watcher = nub('w', { Role: 'watch-state' });
    const publisher = nub('p', { Role: 'publish-state' });
    const w = await startedOn(watcher);
    await waitFor(() => w.getProperty('Watching') !== null);
    const p = await startedOn(publisher);
    // The item's creation is its first change: the watcher reads it.
    await waitFor(() => Number((w.getProperty('SeenState') as OSNumber | null)?.unsigned32BitValue() ?? 0) === 1);
    host.stateNotifications.set('org.driverkit.test.state', toOSDictionary({ n: 2 }), { name: 'test', entitlements: toOSDictionary({}) });
    await waitFor(() => Number((w.getProperty('SeenState') as OSNumber | null)?.unsigned32BitValue() ?? 0) === 2);
    expect(String(fromOSObject(p.getProperty('CreateTwice')!))).toMatch(/org\.driverkit\.test\.state already exists \(created by org\.driverkit\.test\.StatePublisher/);
    expect(String(fromOSObject(p.getProperty('LockedRefusal')!))).toMatch(/lacks the org\.driverkit\.test\.never entitlement the item requires/);
    expect(pidOf(w)).not.toBe(pidOf(p));
  });

  test('power changes and provider property changes reach the driver in its process', async () => {
    const a = nub('a', { Role: 'record' });
    host.publishNub(a);
    await host.whenIdle();
    const proxy = host.clientsOf(a).get('IODefaultMatchCategory')!;
    a.setProperty('Mood', 'calm');
    await host.whenIdle();
    await host.setPowerState(0);
    await waitFor(() => proxy.getProperty('LastPower') !== null);
    expect(String(proxy.getProperty('LastPower'))).toBe('0');
    expect(String(proxy.getProperty('MoodAtPower'))).toBe('calm');
    expect(proxy.GetPowerState()).toBe(0);
    const lines: string[] = [];
    const logging = new IOServiceHost({ log: (l) => lines.push(l) });
    logging.addDriverBundle(join(drivers, 'TestDrivers'));
    const b = nub('b', { Role: 'record' });
    logging.publishNub(b);
    await logging.whenIdle();
    await logging.setPowerState(0x10000);
    expect(lines.join('\n')).toMatch(/Recorder\.SetPowerState\(0x10000\): .*not one of its power states \(0x0, 0x2\)/);
    await logging.stop();
  });

  test('IOUserServerOneProcess puts every service of the server in one process', async () => {
    const a = nub('a', { Role: 'shared' });
    const b = nub('b', { Role: 'shared' });
    host.publishNub(a);
    host.publishNub(b);
    await host.whenIdle();
    expect(pidOf(host.clientsOf(a).get('IODefaultMatchCategory'))).toBe(pidOf(host.clientsOf(b).get('IODefaultMatchCategory')));
    expect(host.servers()).toHaveLength(1);
  });

  test('terminating the service stops it in its process, which then exits', async () => {
    const a = nub('a', { Role: 'record' });
    host.publishNub(a);
    await host.whenIdle();
    const pid = pidOf(host.clientsOf(a).get('IODefaultMatchCategory'));
    await a.Terminate();
    await host.whenIdle();
    await waitFor(() => !alive(pid));
    expect(events.map((e) => e.kind)).toEqual(['started']);
  });

  test('a Start that fails in the driver process is reported with its message, and the process ends', async () => {
    const a = nub('a', { Role: 'record', FailStart: true });
    host.publishNub(a);
    await host.whenIdle();
    expect(events.map((e) => e.message)).toEqual([expect.stringMatching(/Recorder did not start on a: .*the device is not responding/)]);
    await waitFor(() => host.servers().length === 0);
  });

  test('a driver killed with SIGKILL is terminated, relaunched and rematched; others are untouched', async () => {
    const victim = nub('victim', { Role: 'record' });
    const bystander = nub('bystander', { Role: 'record' });
    host.publishNub(victim);
    host.publishNub(bystander);
    await host.whenIdle();
    const before = pidOf(host.clientsOf(victim).get('IODefaultMatchCategory'));
    const other = pidOf(host.clientsOf(bystander).get('IODefaultMatchCategory'));
    process.kill(before, 'SIGKILL');
    await waitFor(() => events.filter((e) => e.kind === 'started' && e.provider === victim).length === 2);
    await host.whenIdle();
    const after = pidOf(host.clientsOf(victim).get('IODefaultMatchCategory'));
    expect(after).not.toBe(before);
    expect(alive(after)).toBe(true);
    expect(pidOf(host.clientsOf(bystander).get('IODefaultMatchCategory'))).toBe(other);
    expect(String(victim.getProperty('IORematchCount'))).toBe('1');
    expect(events.filter((e) => e.provider === victim).map((e) => e.kind)).toEqual(['started', 'crashed', 'terminated', 'started']);
    // The provider heard of its client's crash (IOService::ClientCrashed) before the client was terminated.
    expect(victim.crashes).toEqual(['Recorder active']);
    expect(bystander.crashes).toEqual([]);
  });

  test('a crash loop stops at the relaunch limit and says so in the registry', async () => {
    const n = nub('flaky', { Role: 'crash', CrashMode: 'throw-later' });
    host.publishNub(n);
    await waitFor(() => events.some((e) => e.kind === 'gave-up'));
    await host.whenIdle();
    expect(events.filter((e) => e.kind === 'crashed')).toHaveLength(3);
    expect(String(n.getProperty('IOUserServerRelaunchLimitReached'))).toMatch(/gave up after 2 relaunches \(limit 2\)/);
    expect(host.clientsOf(n).size).toBe(0);
    expect(host.servers()).toEqual([]);
  });

  test('a provider terminated while its driver starts ends with that driver stopped, never relaunched', async () => {
    const n = nub('leaving', { Role: 'record', StartDelayMs: OSNumber.withNumber(300, 32) });
    host.publishNub(n);
    await waitFor(() => host.servers().length === 1);
    const pid = host.servers()[0].pid!;
    await n.Terminate();
    await host.whenIdle();
    await waitFor(() => !alive(pid));
    expect(host.clientsOf(n).size).toBe(0);
    expect(host.servers()).toEqual([]);
    expect(events.filter((e) => e.provider === n && (e.kind === 'started' || e.kind === 'crashed'))).toEqual([]);
  });

  test('a provider removed while its crashed driver waits to relaunch is not rematched', async () => {
    const n = nub('unplugged', { Role: 'crash', CrashMode: 'throw-later' });
    // The device goes away right as the host has terminated the crashed service, the moment it would relaunch.
    host.onEvent((e) => e.provider === n && e.kind === 'terminated' && void n.Terminate());
    host.publishNub(n);
    await waitFor(() => n.isInactive());
    await host.whenIdle();
    expect(events.filter((e) => e.provider === n).map((e) => e.kind)).toEqual(['started', 'crashed', 'terminated']);
    expect(host.servers()).toEqual([]);
  });

  test('stopping the host while a crashed driver waits out its relaunch delay ends the wait, and nothing starts', async () => {
    const waiting = new IOServiceHost({ relaunchDelayMs: 60_000 });
    waiting.addDriverBundle(join(drivers, 'TestDrivers'));
    const seen: IOServiceHostEvent[] = [];
    waiting.onEvent((e) => seen.push(e));
    const n = nub('waits', { Role: 'record' });
    waiting.publishNub(n);
    await waiting.whenIdle();
    process.kill(pidOf(waiting.clientsOf(n).get('IODefaultMatchCategory')), 'SIGKILL');
    await waitFor(() => seen.some((e) => e.kind === 'terminated'));
    // Before, the cancelled timer left its wait pending and stop() never returned.
    await waiting.stop();
    expect(seen.map((e) => e.kind)).toEqual(['started', 'crashed', 'terminated']);
    expect(waiting.servers()).toEqual([]);
  });

  test('IODispatchQueue.Sleep in a driver process gives its queue to another block, which wakes it', async () => {
    const n = nub('sleeper', { Role: 'sleep' });
    const driver = await startedOn(n);
    expect(String(driver.getProperty('SleepOrder'))).toBe('sleeps, another block runs, woke 0; timeout e00002d6');
  });

  test('OSBundle.mainBundle in a driver process maps a file of the package\'s Resources, and nothing outside them', async () => {
    const n = nub('bundled', { Role: 'bundle' });
    const driver = await startedOn(n);
    expect(String(driver.getProperty('Greeting'))).toBe('hello from the bundle');
    expect(String(driver.getProperty('GreetingSize'))).toBe('22');
    expect(String(driver.getProperty('Escape'))).toMatch(/"\.\.\/package\.json" is not a name inside the bundle's Resources: kIOReturnBadArgument/);
  });

  test('AdjustBusy in a driver process: the host sees the busy count, as ioreg prints it', async () => {
    const n = nub('busy', { Role: 'busy' });
    const driver = await startedOn(n);
    await waitFor(() => driver.GetBusyState() === 1);
    expect(driver.describeState()).toBe('registered, matched, active, busy 1');
    expect(String(driver.getProperty('Underflow'))).toMatch(/AdjustBusy\(-2\): the busy count would be -1: kIOReturnBadArgument/);
  });

  test('after stop no driver process and no handle is left', async () => {
    const pids: number[] = [];
    for (const name of ['x', 'y']) host.publishNub(nub(name, { Role: 'record' }));
    await host.whenIdle();
    for (const s of host.servers()) pids.push(s.pid!);
    expect(pids).toHaveLength(2);
    await host.stop();
    for (const pid of pids) expect(alive(pid)).toBe(false);
    // A child's handles close a tick after its exit event.
    await waitFor(() => processHandles().length <= baseline.length);
    expect(processHandles()).toEqual(baseline);
    expect(processHandles()).not.toContain('ProcessWrap');
  });
});

test('driver processes exit when their host is killed: no orphans', async () => {
  const script = `
    import { IOServiceHost, IOService } from '@driverkit/driverkit';
    class TestNub extends IOService {}
    const host = new IOServiceHost();
    host.addDriverBundle(${JSON.stringify(join(drivers, 'TestDrivers'))});
    const n = new TestNub(); n.setName('n'); n.setProperty('Role', 'record');
    host.publishNub(n);
    await host.whenIdle();
    console.log(JSON.stringify(host.servers().map((s) => s.pid)));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: join(__dirname, '../../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const pids = await new Promise<number[]>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[])));
  expect(pids).toHaveLength(1);
  expect(alive(pids[0]!)).toBe(true);
  child.kill('SIGKILL');
  await waitFor(() => !alive(pids[0]!));
  // The killed host's own shared memory is what the next host's start removes (removeStale); do it here.
  await waitFor(() => child.exitCode !== null || child.signalCode !== null);
  IOSharedMemory.removeStale(child.pid!);
});
