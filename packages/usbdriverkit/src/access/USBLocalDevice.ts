import { IOReturnError, kIOReturnNotOpen } from '@driverkit/driverkit';
import type { USBDeviceLocator } from '../backend/USBBackend';
import type { USBDeviceSnapshot, USBScope } from './USBAccess';
import { USBDeviceSession } from './USBDeviceSession';
import { USBLocatedBackends } from '../backend/USBLocatedBackends';

/**
 * A driver process's own hold on a device the host granted it, as a dext opens its device in its own
 * process: a session over the backend the host's locator names, so that its clients' transfers,
 * aborts and claims never cross to the host. The host keeps the Open exclusive across processes.
 */
export class USBLocalDevice {
  #session: USBDeviceSession | null = null;

  constructor(readonly locator: USBDeviceLocator) {}

  /** The session the process's clients hold their scopes in. */
  get session(): USBDeviceSession {
    if (!this.#session) throw new IOReturnError(kIOReturnNotOpen, `USB device ${this.locator.id} is not open in this process (call Open first)`);
    return this.#session;
  }

  /**
   * Opens `scope` for `client` on this process's handle. While nothing is open here, the session is
   * made again from the host's view of the device (`snapshot`), which another process may have
   * changed (its configuration, an interface's setting).
   */
  async open(client: string, scope: USBScope, options: number, snapshot: () => Promise<USBDeviceSnapshot>): Promise<void> {
    if (!this.#session?.inUse) {
      const [s, backend] = await Promise.all([snapshot(), USBLocatedBackends.backendFor(this.locator)]);
      const session = new USBDeviceSession(backend, { id: this.locator.id, deviceDescriptor: s.deviceDescriptor, configurations: s.configurations, activeConfiguration: s.activeConfiguration, speed: s.speed, address: s.address, locationID: s.locationID });
      session.adoptConfiguration(s.activeConfiguration, s.alternates);
      session.setBOS(s.bos);
      // A racing Open may have made one first: the first stays, so both clients share its handle.
      if (!this.#session?.inUse) this.#session = session;
    }
    await this.#session!.open(client, scope, options);
  }

  /** The configuration the host set for a client of this process: the session follows it, without I/O. */
  adoptConfiguration(value: number): void {
    this.#session?.adoptConfiguration(value);
  }

  /** Closes what `client` holds of `scope` here (nothing, if its Open never got this far). */
  async close(client: string, scope: USBScope): Promise<void> {
    await this.#session?.close(client, scope);
  }
}
