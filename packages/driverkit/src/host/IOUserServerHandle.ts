import type { Socket } from 'node:net';
import type { OSDictionary } from '../os/OSDictionary';
import type { IODriverAccount } from './IODriverAccount';
import type { IOService } from '../service/IOService';
import type { IOUserClientCompletionSink } from '../userclient/IOUserClient';
import type { IOUserClientCall, IOUserClientCallResult } from '../userclient/IOUserClientCall';
import type { IOUserClientMemoryGrant } from '../userclient/IOUserClientRunner';

/** The host's hold on one open user client, wherever its driver runs. */
export interface IOUserClientHandle {
  /** The user client's properties (its IOServiceDEXTEntitlements among them). */
  readonly properties: OSDictionary;
  /** The account the user client's driver runs as, when not the host's own: memory a call names is granted to it. */
  readonly account?: IODriverAccount | null;
  call(call: IOUserClientCall, onCompletion: IOUserClientCompletionSink | null): Promise<IOUserClientCallResult>;
  copyMemory(type: bigint): Promise<IOUserClientMemoryGrant>;
  /**
   * Hands an admitted app's socket to the driver process, which serves the user client's calls on it
   * from then on and answers request `rid` (the app's attach) there. Absent where the driver runs in
   * the host.
   */
  direct?(socket: Socket, rid: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The host's side of one driver server (Apple's IOUserServer): where a matched personality's
 * IOUserClass is instantiated and started. In-process servers run the class in the host; process
 * servers run it in a driver process and return the host's proxy of it.
 */
export interface IOUserServerHandle {
  readonly name: string;
  /** Starts the service `properties` describe on `provider`; resolves with its entry in the host registry. */
  startService(properties: OSDictionary, provider: IOService): Promise<IOService>;
  /** Mirrors the system's side of IOServiceOpen: the driver's NewUserClient(type) on `service`. */
  openUserClient(service: IOService, type: number, entitlements: OSDictionary): Promise<IOUserClientHandle>;
  /** The host saw `service` (one this server started) terminate: what the server holds for it goes. */
  serviceTerminated?(service: IOService): void;
  /** Ends the server (after its services are terminated). */
  shutdown(): Promise<void>;
  /** True when the server can take no more services (its process is gone). */
  isDead(): boolean;
  /** The driver process's pid, for process servers. */
  readonly pid: number | null;
}
