import type { OSDictionary } from '../os/OSDictionary';
import type { IOService } from '../service/IOService';

/**
 * The host's side of one driver server (Apple's IOUserServer): where a matched personality's
 * IOUserClass is instantiated and started. In-process servers run the class in the host; process
 * servers run it in a driver process and return the host's proxy of it.
 */
export interface IOUserServerHandle {
  readonly name: string;
  /** Starts the service `properties` describe on `provider`; resolves with its entry in the host registry. */
  startService(properties: OSDictionary, provider: IOService): Promise<IOService>;
  /** Ends the server (after its services are terminated). */
  shutdown(): Promise<void>;
  /** True when the server can take no more services (its process is gone). */
  isDead(): boolean;
  /** The driver process's pid, for process servers. */
  readonly pid: number | null;
}
