import { closeSync, constants, openSync } from 'node:fs';
import { IOTestBench, LinuxNative, type IOServiceHostOptions } from '@driverkit/driverkit';
import { register, serialTTYProvider } from '../plugin';
import type { SerialTTYInfo, SerialTTYProvider } from '../host/SerialTTYProvider';

/** A pseudo-terminal a bench publishes as a serial port: the test plays the device on `master`. */
export interface SerialTestPty {
  /** The master's descriptor (non-blocking): what the device sends and receives. */
  readonly master: number;
  /** The tty a driver matching it opens (`IOCalloutDevice`). */
  readonly path: string;
  /** Withdraws the port (its driver sees it go) and closes the pty. */
  remove(): Promise<void>;
}

/**
 * A driver host with the serial family publishing only the ttys a test adds (none of this machine's),
 * for a serial driver's tests. {@link addPty} makes a pseudo-terminal and publishes its tty, as an
 * `IOSerialStreamSync` nub drivers match; `reset` withdraws them all between tests and `stop` ends it
 * all. (A USB serial adapter is tested on `@driverkit/usbdriverkit/testing`'s bench instead.)
 */
export class SerialTestBench extends IOTestBench<SerialTTYProvider> {
  /** The bench's tty provider: `add({ path, … })` publishes any other tty. */
  get ttys(): SerialTTYProvider {
    return this.backend;
  }

  static async create(options: Partial<Pick<IOServiceHostOptions, 'mode' | 'log'>> = {}): Promise<SerialTestBench> {
    const host = IOTestBench.newHost(options);
    const stop = await register(host, { list: false });
    return new SerialTestBench(host, serialTTYProvider(host), stop);
  }

  /** Publishes a new pseudo-terminal's tty with `info`'s properties (a pnpId or USB IDs to match on). */
  addPty(info: Omit<SerialTTYInfo, 'path'> = {}): SerialTestPty {
    const { master, path } = LinuxNative.openpt();
    // Reading a master whose slave nobody has open fails (EIO): the bench holds the slave open too.
    const slave = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
    const withdraw = this.ttys.add({ ...info, path });
    const close = this.closeOnReset(() => {
      closeSync(slave);
      closeSync(master);
    });
    return {
      master,
      path,
      remove: async () => {
        await withdraw();
        close();
      },
    };
  }
}
