// The serial family's host plugin (package.json "driverkit.hostPlugin"): `driverkit run` loads it to
// publish an IOSerialStreamSync nub for every tty the kernel already drives, so drivers can match
// existing serial ports. DRIVERKIT_SERIAL_TTYS (paths, comma-separated) adds ttys no listing finds.
import { IOHostSlot, type IOServiceHost } from '@driverkit/driverkit';
import { SerialTTYProvider } from './host/SerialTTYProvider';

// Per host, not per module: two hosts in one process (tests, an embedding app) each have their own.
const slot = new IOHostSlot<SerialTTYProvider>('@driverkit/serialdriverkit.SerialTTYProvider', 'tty provider', 'serial');

/** The host's tty provider (to add a pty or another tty by hand); kIOReturnNotReady before `register(host)`. */
export function serialTTYProvider(host: IOServiceHost): SerialTTYProvider {
  return slot.get(host);
}

export interface SerialPluginOptions {
  /** Publish the ttys SerialPort.list() finds (default); false: only those added by path (a test bench). */
  list?: boolean;
}

export async function register(host: IOServiceHost, options: SerialPluginOptions = {}): Promise<() => Promise<void>> {
  const provider = new SerialTTYProvider(host, { list: options.list });
  for (const path of (process.env.DRIVERKIT_SERIAL_TTYS ?? '').split(',').filter(Boolean)) provider.add({ path });
  await provider.start();
  slot.set(host, provider);
  return async () => {
    slot.set(host, null);
    await provider.stop();
  };
}
