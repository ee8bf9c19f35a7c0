import type { OSDictionary } from '../os/OSDictionary';
import type { IOService } from '../service/IOService';

/**
 * The driver-process end of a provider that lives in the host. In DriverKit every method a dext
 * calls on a kernel object (IOUSBHostPipe::AsyncIO, IOUSBHostDevice::DeviceRequest) is an IPC to the
 * kernel; here it is a `providerCall` frame to the host, answered by the nub there.
 */
export interface IOProviderLink {
  /**
   * Calls `method` on the host's nub with `args`. Resolves with the nub's result; rejects with the
   * nub's IOReturnError, or kIOReturnNotAttached when the host is gone. `timeoutMs` 0 waits forever
   * (the nub owns the timeout, as a pipe's completion timeout does).
   */
  call(method: string, args: OSDictionary, timeoutMs?: number): Promise<OSDictionary>;
  /**
   * Runs `drain` before the driver process handles each message from the host; returns the
   * unsubscribe. A family that moves data outside the host socket (a shared-memory queue the host
   * wrote before it sent a reply or a terminate) takes that data first, so the driver sees both in
   * the order the host sent them. Absent on links with no host socket behind them.
   */
  beforeHostMessage?(drain: () => void): () => void;
}

/** Who called a nub: one driver process, for ownership (Open/Close) and cleanup when it goes. */
export interface IORemoteCaller {
  /** Stable while the process lives: the server name and pid. */
  readonly key: string;
  /**
   * The calling process and the account it runs as, for checks that need the OS's word (memory it names
   * must be its own: `IOSharedMemory.attach`'s `owner`, `callerProcess`). Absent for drivers running in the host.
   */
  readonly pid?: number;
  readonly uid?: number;
  /** Runs `cleanup` once when the caller is gone (its process ended, or its last service on the nub stopped). */
  onGone(cleanup: () => void): void;
}

/**
 * A nub a family publishes in the host that drivers in their own processes call into. A family
 * implements it on its nub class and registers the driver-side class (one that forwards through an
 * {@link IOProviderLink}) with `IOUserServerRuntime.registerProviderClass`.
 */
export interface IORemoteCallTarget {
  /** Runs one call from a driver process. The result goes back as the call's reply. */
  handleRemoteCall(method: string, args: OSDictionary, caller: IORemoteCaller): Promise<OSDictionary | null>;
}

/** A provider class in a driver process that talks to its host-side nub. */
export interface IOLinkedProvider {
  setProviderLink(link: IOProviderLink): void;
}

/** The calling driver process and its account, or null for a caller with no process of its own (a driver in the host). */
export function callerProcess(caller: IORemoteCaller): { pid: number; uid: number } | null {
  return caller.pid !== undefined && caller.uid !== undefined ? { pid: caller.pid, uid: caller.uid } : null;
}

export function isRemoteCallTarget(service: IOService): service is IOService & IORemoteCallTarget {
  return typeof (service as Partial<IORemoteCallTarget>).handleRemoteCall === 'function';
}

export function isLinkedProvider(service: IOService): service is IOService & IOLinkedProvider {
  return typeof (service as Partial<IOLinkedProvider>).setProviderLink === 'function';
}
