/**
 * Faults, each repeated FAULT_ROUNDS times (5 in npm test, more in `npm run reliability`), through the
 * paths users take: drivers in their own processes, apps over the host's socket, the CLI host.
 * Every pending request must end with the right kIOReturn code, nothing may hang, and nothing may be
 * left: no driver process outlives its host, the host's descriptors stay flat across crashes.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  IOClientPolicy,
  IOConnectCallAsyncMethod,
  IOConnectCallScalarMethod,
  IOHostSocket,
  IOMainPortCreate,
  IONotificationPortCreate,
  IORegistryEntryCreateCFProperties,
  IOServiceGetMatchingService,
  IOServiceHost,
  IOServiceMatching,
  IOServiceOpen,
  IOUserClientRouter,
  kIOReturnNoDevice,
  kIOReturnNotAttached,
  kIOReturnOverrun,
  kIOReturnTimeout,
  toOSDictionary,
  type IOMainPort,
} from '@driverkit/driverkit';
import { kUSBHostReturnPipeStalled } from '@driverkit/usbdriverkit';
import { alive, waitFor } from '../../../packages/driverkit/test/helpers';
import { record } from '../results.cjs';
import { CLIHost } from './CLIHost';

const rounds = Number(process.env.FAULT_ROUNDS ?? 5);
const root = join(__dirname, '../../..');
const fixture = join(root, 'packages/driverkit/test/fixtures/drivers/UCDrivers');
const fds = (pid: number | 'self') => readdirSync(`/proc/${pid}/fd`).length;
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;

async function echo(port: IOMainPort, not?: number): Promise<{ pid: number; ref: NonNullable<Awaited<ReturnType<typeof IOServiceGetMatchingService>>> }> {
  const matching = IOServiceMatching('IOUserService');
  matching.setObject('IOPropertyMatch', toOSDictionary({ IOMatchCategory: 'Echo' }));
  let found: { pid: number; ref: NonNullable<Awaited<ReturnType<typeof IOServiceGetMatchingService>>> } | null = null;
  const until = Date.now() + 20_000;
  while (!found) {
    if (Date.now() > until) throw new Error('no Echo service (re)started within 20 s');
    const ref = await IOServiceGetMatchingService(port, matching).catch(() => null);
    const pid = ref ? Number((await IORegistryEntryCreateCFProperties(ref).catch(() => null))?.getObject('DriverPID')?.toString() ?? 0) : 0;
    if (ref && pid && pid !== not) found = { pid, ref };
    else await new Promise((r) => setTimeout(r, 10));
  }
  return found;
}

/** How an app's pending call ended: its kIOReturn code and how long after the fault. */
async function ending(pending: Promise<unknown>, since: () => number): Promise<{ code: number | string; ms: number }> {
  try {
    await pending;
    return { code: 'completed', ms: since() };
  } catch (e) {
    return { code: (e as { code?: number }).code ?? String(e), ms: since() };
  }
}

test(`a driver SIGKILLed in the middle of user-client calls, ${rounds} times: pending calls end with kIOReturnNotAttached, the driver is relaunched, the host's descriptors stay flat`, async () => {
  const host = new IOServiceHost({ relaunchDelayMs: 5, relaunchMaxDelayMs: 20, log: () => {} });
  const socket = new IOHostSocket(host, join(mkdtempSync(join(tmpdir(), 'dk-faults-')), 'host.sock'));
  new IOUserClientRouter(host, socket, IOClientPolicy.empty());
  await socket.listen();
  host.addDriverBundle(fixture);
  await host.whenIdle();
  const port = IOMainPortCreate(socket.path);
  const codes = new Map<string, number>();
  const endings: number[] = [];
  const relaunches: number[] = [];
  let last = 0;
  let fdsBefore = 0;
  let regionsLeft = 0;
  try {
    // The descriptors are counted after the first round, once the host is already serving.
    for (let r = 0; r < rounds; r++) {
      const started = Date.now();
      const { pid, ref } = await echo(port, last);
      if (r > 0) relaunches.push(Date.now() - started);
      if (r === 1) fdsBefore = fds('self');
      const c = await IOServiceOpen(ref, 0);
      const n = IONotificationPortCreate(port);
      // A completion the driver keeps (method 8), and a call it is running (a slow method; the user
      // client's queue is serial, so it goes second).
      await IOConnectCallAsyncMethod(c, 8, n, { callback: () => {} });
      const slow = IOConnectCallScalarMethod(c, 3, [60_000], 1);
      await new Promise((res) => setTimeout(res, 20));
      const killed = Date.now();
      process.kill(pid, 'SIGKILL');
      const end = await ending(slow, () => Date.now() - killed);
      const after = await ending(IOConnectCallScalarMethod(c, 0, [1, 2], 2), () => Date.now() - killed);
      for (const e of [end, after]) codes.set(String(e.code), (codes.get(String(e.code)) ?? 0) + 1);
      endings.push(end.ms);
      await waitFor(() => !alive(pid), 5000, `driver ${pid} gone`);
      // Its shared memory (the user client's buffer) is the host's to remove: a SIGKILL skips the exit hook.
      const left = () => readdirSync('/dev/shm').filter((f) => f.startsWith(`driverkit.${pid}.`));
      if (!(await waitFor(() => left().length === 0, 5000).then(() => true, () => false))) regionsLeft += left().length;
      n.destroy();
      last = pid;
    }
    await echo(port, last);
    const fdsAfter = fds('self');
    const figures = `${rounds * 2} pending and later calls: ${[...codes].map(([c, k]) => `${k}× ${c === String(kIOReturnNotAttached) ? 'kIOReturnNotAttached' : c}`).join(', ')}; ended ${median(endings)} ms (median) / ${Math.max(...endings)} ms (max) after the kill; relaunched in ${median(relaunches)} ms (median); host fds ${fdsBefore} → ${fdsAfter}; shared regions the killed drivers left: ${regionsLeft}`;
    const held = codes.size === 1 && codes.has(String(kIOReturnNotAttached)) && fdsAfter <= fdsBefore + 2 && regionsLeft === 0;
    record({ area: 'faults', check: 'driver SIGKILL during user-client calls', count: rounds, of: 'kills', outcome: held ? 'held' : 'FAILED', figures });
    expect([...codes.keys()]).toEqual([String(kIOReturnNotAttached)]);
    expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 2);
    expect(regionsLeft).toBe(0);
  } finally {
    port.close();
    await socket.close();
    await host.stop();
  }
}, 60_000 + rounds * 5_000);

test(`the host SIGKILLed with apps connected, ${rounds} times: their calls end with kIOReturnNotAttached, no driver process is orphaned, a new host on the same socket serves them`, async () => {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'dk-hostkill-')), 'host.sock');
  const codes = new Map<string, number>();
  const orphanWaits: number[] = [];
  let orphans = 0;
  let served = 0;
  let regionsLeft = 0;
  let host: CLIHost | null = null;
  try {
    // One host more than kills: each new host's start removes the shared memory the killed one left.
    let previous: number | null = null;
    for (let r = 0; r <= rounds; r++) {
      host = await CLIHost.start(fixture, socketPath);
      if (previous !== null) regionsLeft += readdirSync('/dev/shm').filter((f) => f.startsWith(`driverkit.${previous}.`)).length;
      if (r === rounds) break;
      previous = host.pid;
      const port = IOMainPortCreate(socketPath);
      const { pid, ref } = await echo(port);
      const c = await IOServiceOpen(ref, 0);
      // The new host serves: a call round-trips before the fault.
      const [a] = await IOConnectCallScalarMethod(c, 0, [r, 0], 2);
      if (a === BigInt(r + 1)) served++;
      const slow = IOConnectCallScalarMethod(c, 3, [60_000], 1);
      await new Promise((res) => setTimeout(res, 20));
      const killed = Date.now();
      const killing = host.stop('SIGKILL');
      const end = await ending(slow, () => Date.now() - killed);
      codes.set(String(end.code), (codes.get(String(end.code)) ?? 0) + 1);
      // The driver process notices its host is gone and exits.
      const gone = await waitFor(() => !alive(pid), 10_000).then(() => true, () => false);
      if (!gone) {
        orphans++;
        process.kill(pid, 'SIGKILL');
      }
      orphanWaits.push(Date.now() - killed);
      await killing;
      port.close();
      host = null;
    }
    const figures = `${rounds} pending calls: ${[...codes].map(([c, k]) => `${k}× ${c === String(kIOReturnNotAttached) ? 'kIOReturnNotAttached' : c}`).join(', ')}; driver processes gone ${median(orphanWaits)} ms (median) / ${Math.max(...orphanWaits)} ms (max) after the host; ${orphans} orphaned; ${served}/${rounds} restarted hosts served calls on the same socket; shared regions of killed hosts left after the next start: ${regionsLeft}`;
    const held = codes.size === 1 && codes.has(String(kIOReturnNotAttached)) && orphans === 0 && served === rounds && regionsLeft === 0;
    record({ area: 'faults', check: 'host SIGKILL with apps connected, then restart', count: rounds, of: 'kills', outcome: held ? 'held' : 'FAILED', figures });
    expect([...codes.keys()]).toEqual([String(kIOReturnNotAttached)]);
    expect(orphans).toBe(0);
    expect(served).toBe(rounds);
    expect(regionsLeft).toBe(0);
  } finally {
    // The last host, which was not killed, stops as a user stops it.
    await host?.stop();
  }
}, 60_000 + rounds * 15_000);

test(`USB faults on the virtual bench, met by a driver in its own process, ${rounds} devices: halted endpoint, timeout, babble, unplug under a pending read`, async () => {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'dk-usbfaults-')), 'host.sock');
  const host = await CLIHost.start(join(__dirname, '../fixtures/USBFaults'), socketPath, { env: { USB_FAULT_ROUNDS: String(rounds) } });
  const expected: Record<string, [number, number]> = { stall: [kUSBHostReturnPipeStalled, 0], timeout: [kIOReturnTimeout, 0], babble: [kIOReturnOverrun, 4], unplug: [kIOReturnNoDevice, 0] };
  try {
    const faults = () => [...host.output.matchAll(/fault (\w+): status (0x[0-9a-f]+) bytes (\d+)/g)];
    // The host's output is in the failure's message, as it was when the wait gave up.
    await waitFor(() => faults().length >= rounds * 4 || /fault script failed|did not start/.test(host.output), 30_000 + rounds * 2000, `${rounds * 4} faults met`).catch((e: Error) => {
      throw new Error(`${e.message}:\n${host.output.slice(-2000)}`);
    });
    const pids = [...new Set([...host.output.matchAll(/started USBFaultsDriver on .* pid (\d+)\)/g)].map((m) => Number(m[1])))];
    // Each driver process ends with its device.
    const ended = await waitFor(() => pids.every((p) => !alive(p)), 10_000).then(() => true, () => false);
    const seen = new Map<string, { right: number; wrong: string[] }>();
    for (const [, fault, status, bytes] of faults()) {
      const s = seen.get(fault!) ?? { right: 0, wrong: [] };
      const [code, n] = expected[fault!]!;
      if (Number(status) === code >>> 0 && Number(bytes) === n) s.right++;
      else s.wrong.push(`${status} ${bytes} bytes`);
      seen.set(fault!, s);
    }
    const names: Record<string, string> = { stall: 'kUSBHostReturnPipeStalled', timeout: 'kIOReturnTimeout', babble: 'kIOReturnOverrun (4 bytes moved)', unplug: 'kIOReturnNoDevice' };
    const figures = `${Object.keys(expected).map((f) => `${f} → ${names[f]} ${seen.get(f)?.right ?? 0}/${rounds}${seen.get(f)?.wrong.length ? ` (wrong: ${seen.get(f)!.wrong.join(', ')})` : ''}`).join('; ')}; ${pids.length} driver processes, ${pids.filter((p) => alive(p)).length} left after their devices went`;
    const held = Object.keys(expected).every((f) => seen.get(f)?.right === rounds && !seen.get(f)!.wrong.length) && pids.length === rounds && ended;
    record({ area: 'faults', check: 'USB stall, timeout, babble and unplug from a driver process', count: rounds * 4, of: 'faults', outcome: held ? 'held' : 'FAILED', figures });
    expect(host.output).not.toMatch(/fault script failed|did not start/);
    for (const f of Object.keys(expected)) expect({ fault: f, ...seen.get(f) }).toEqual({ fault: f, right: rounds, wrong: [] });
    expect(pids).toHaveLength(rounds);
    expect(ended).toBe(true);
  } finally {
    await host.stop();
  }
}, 60_000 + rounds * 3_000);
