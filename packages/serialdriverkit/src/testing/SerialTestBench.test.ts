import { kIOReturnNotReady } from '@driverkit/driverkit';
import { IOSerialStreamSync, serialTTYProvider } from '@driverkit/serialdriverkit';
import { SerialTestBench, SerialTTYProvider } from '@driverkit/serialdriverkit/testing';
import { until } from '../../test/helpers';

const ttys = (bench: SerialTestBench) =>
  bench.host
    .nubs()
    .filter((n): n is IOSerialStreamSync => n instanceof IOSerialStreamSync && !n.isInactive())
    .map((n) => n.path)
    .sort();

test('each test bench publishes only the ptys its test adds, on its own host: reset withdraws and closes them, stop ends it', async () => {
  const a = await SerialTestBench.create();
  const b = await SerialTestBench.create();
  try {
    expect(a.ttys).toBeInstanceOf(SerialTTYProvider);
    expect(serialTTYProvider(a.host)).toBe(a.ttys);
    // None of this machine's ttys: only what the test adds.
    expect(ttys(a)).toEqual([]);
    const one = a.addPty({ pnpId: 'bench-one' });
    const two = a.addPty();
    const three = b.addPty();
    await until(() => ttys(a).length === 2 && ttys(b).length === 1, 'the benches’ ptys');
    expect(ttys(a)).toEqual([one.path, two.path].sort());
    expect(ttys(b)).toEqual([three.path]);
    const nub = a.host.nubs().find((n) => n instanceof IOSerialStreamSync && n.path === one.path)!;
    expect(String(nub.getProperty('IOSerialPnPID'))).toBe('bench-one');
    await two.remove();
    await until(() => ttys(a).length === 1, 'the removed pty to go');
    a.reset();
    await until(() => ttys(a).length === 0, 'reset to withdraw the rest');
    expect(ttys(b)).toEqual([three.path]);
  } finally {
    await a.stop();
    await b.stop();
  }
  expect(() => serialTTYProvider(a.host)).toThrow(expect.objectContaining({ code: kIOReturnNotReady }));
});
