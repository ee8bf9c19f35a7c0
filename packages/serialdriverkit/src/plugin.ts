// The serial family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to
// publish an IOSerialStreamSync nub for every tty the kernel already drives, so drivers can match
// existing serial ports. DRIVERKIT_SERIAL_TTYS (paths, comma-separated) adds ttys no listing finds.
import type { IOServiceHost } from '@driverkit/driverkit';
import { SerialTTYProvider } from './tty/SerialTTYProvider';

let current: SerialTTYProvider | null = null;

/** The running host's tty provider (to add a pty by hand), or null before `register`. */
export function serialTTYProvider(): SerialTTYProvider | null {
  return current;
}

export async function register(host: IOServiceHost): Promise<() => Promise<void>> {
  const provider = new SerialTTYProvider(host);
  for (const path of (process.env.DRIVERKIT_SERIAL_TTYS ?? '').split(',').filter(Boolean)) provider.add({ path });
  await provider.start();
  current = provider;
  return async () => {
    if (current === provider) current = null;
    await provider.stop();
  };
}
