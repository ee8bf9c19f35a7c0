import { IOReturnError, IOService, OSNumber, kIOReturnNotAttached, kIOReturnUnsupported, type IOProviderLink, type IORemoteCaller, type IORemoteCallTarget, type IOLinkedProvider, type OSDictionary, type OSValue } from '@driverkit/driverkit';
import type { USBAccess, USBScope } from './access/USBAccess';
import { USBDeviceSession } from './access/USBDeviceSession';
import { USBRemoteAccess, serveUSBCall } from './access/USBRemoteAccess';
import { clientKey } from './access/USBRequests';

/**
 * What IOUSBHostDevice and IOUSBHostInterface share (IOUSBHostFamily's IOUSBHostNub): where their
 * calls go — the host's session over a backend, or, in a driver process, the nub in the host — and
 * Apple's Open/Close by client, with a client that terminates closing what it opened.
 */
export abstract class IOUSBHostNub extends IOService implements IORemoteCallTarget, IOLinkedProvider {
  #access: USBAccess | null = null;
  readonly #callers = new WeakSet<IORemoteCaller>();
  #openedBy: { service: IOService; key: string; unlisten: () => void } | null = null;

  /** @internal The host binds a nub to its device's session. */
  attachSession(session: USBDeviceSession): void {
    this.#access = session;
  }

  /** @internal A driver process binds its stand-in of the nub to the host's. */
  setProviderLink(link: IOProviderLink): void {
    this.#access = new USBRemoteAccess(link);
  }

  /** @internal */
  protected bindAccess(access: USBAccess): void {
    this.#access = access;
  }

  /** @internal Calls from driver processes, run on the host's session. */
  async handleRemoteCall(method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null> {
    const session = this.#access;
    if (!(session instanceof USBDeviceSession)) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()} has no device session in this process`);
    if (!this.#callers.has(caller)) {
      this.#callers.add(caller);
      caller.onGone(() => void session.closeClients(caller.key));
    }
    // An interface driver's CopyDevice: the device nub's properties (the session serves the rest).
    if (method === 'deviceProperties') {
      const device = this.GetProvider();
      if (!(device instanceof IOUSBHostNub) || device === this) throw new IOReturnError(kIOReturnNotAttached, `${this.getName()} has no device above it`);
      return device.copyProperties();
    }
    return serveUSBCall(session, method, args, caller);
  }

  /** @internal A nub that shares another's access (CopyInterface, CopyDevice). */
  shareAccess(access: USBAccess): void {
    this.bindAccess(access);
  }

  /** @internal */
  get access(): USBAccess {
    if (!this.#access) throw new IOReturnError(kIOReturnNotAttached, `${this.getName()} is not bound to a USB device`);
    return this.#access;
  }

  /** The client that has this nub open, for the methods that take no forClient. @internal */
  get openClient(): string | null {
    return this.#openedBy?.key ?? null;
  }

  protected abstract get scope(): USBScope;

  protected async openFor(forClient: IOService, options: number): Promise<void> {
    const key = clientKey(forClient);
    await this.access.open(key, this.scope, options);
    if (this.#openedBy?.service === forClient) return;
    // A client that terminates without Close still lets go, as IOService::terminate closes a provider.
    const registry = forClient.getRegistry();
    const unlisten = registry?.listen({ terminated: (e) => e === forClient && void this.closeFor(forClient).catch(() => {}) }) ?? (() => {});
    this.#openedBy = { service: forClient, key, unlisten };
  }

  protected async closeFor(forClient: IOService): Promise<void> {
    const key = clientKey(forClient);
    if (this.#openedBy?.key === key) {
      this.#openedBy.unlisten();
      this.#openedBy = null;
    }
    await this.access.close(key, this.scope);
  }

  /** @internal Sets each of `properties` (plain values). */
  setNubProperties(properties: Record<string, OSValue>): void {
    for (const [k, v] of Object.entries(properties)) this.setProperty(k, v);
  }

  protected numberProperty(key: string): number {
    const v = this.getProperty(key);
    return v instanceof OSNumber ? Number(v.unsigned32BitValue()) : 0;
  }
}
