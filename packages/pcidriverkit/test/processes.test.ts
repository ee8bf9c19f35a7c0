import { join } from 'node:path';
import { IOService, IOServiceHost, OSNumber, type IOServiceHostEvent } from '@driverkit/driverkit';
import { PCIHostController, PCIMatchingFamily, VirtualPCIBus } from '../src/index';
import { waitFor } from './helpers';

// Driver processes open the function themselves; the host only decides who may. Drivers run the
// built packages (dist/), as users' do.
let host: IOServiceHost;
let controller: PCIHostController;
let events: IOServiceHostEvent[];

beforeEach(async () => {
  events = [];
  host = new IOServiceHost({ relaunchDelayMs: 20 });
  host.onEvent((e) => events.push(e));
  host.registerFamily(PCIMatchingFamily);
  const bus = new VirtualPCIBus();
  controller = new PCIHostController(host, [bus]);
  controller.start();
  await bus.attach({ model: 'edu' });
  host.addDriverBundle(join(__dirname, 'fixtures/pci-openers'));
});

afterEach(async () => {
  await controller.stop();
  await host.stop();
});

const started = () => events.filter((e) => e.kind === 'started');
const pid = (s: IOService) => Number((s.getProperty('DriverPID') as OSNumber).unsigned32BitValue());

test('two drivers in two processes: one opens the function, the other is refused with kIOReturnExclusiveAccess', async () => {
  await waitFor(() => started().length === 1 && events.some((e) => e.kind === 'failed'));
  await host.whenIdle();
  const failed = events.find((e) => e.kind === 'failed')!;
  expect(failed.message).toMatch(/^Opener did not start on pci1234,11e8: .*pci1234,11e8\.open: pci1234,11e8 is open by Opener: kIOReturnExclusiveAccess \(0xe00002c5\)$/);
  const winner = started()[0]!.service!;
  expect(Number((winner.getProperty('Identification') as OSNumber).unsigned32BitValue())).toBe(0x010000ed);
  expect(pid(winner)).not.toBe(process.pid);
});

test('a driver that crashes lets go of the function: its relaunch opens it again', async () => {
  await waitFor(() => started().length === 1 && events.some((e) => e.kind === 'failed'));
  await host.whenIdle();
  const first = started()[0]!;
  process.kill(pid(first.service!), 'SIGKILL');
  await waitFor(() => started().length === 2);
  await host.whenIdle();
  const again = started()[1]!;
  expect(again.personality).toBe(first.personality);
  expect(Number((again.service!.getProperty('Identification') as OSNumber).unsigned32BitValue())).toBe(0x010000ed);
});
