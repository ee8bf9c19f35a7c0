import { existsSync, readFileSync } from 'node:fs';
import { OSData, type IOServiceHost } from '@driverkit/driverkit';
import { kIOUserNetworkFamilyEntitlement, parseMAC } from '../NetworkingDriverKitConstants';
import { IOEthernetPort } from './IOEthernetPort';

/** A port to publish: which backend opens it and where. */
export interface EthernetPortSpec {
  backend: string;
  locator: string;
  /** The nub's name (default: the locator). */
  name?: string;
  mac?: Uint8Array;
}

/**
 * Publishes an IOEthernetPort nub for each NIC a driver may drive. Existing Linux interfaces are
 * published only when named (DRIVERKIT_ETHERNET_PORTS, comma-separated, or {@link add}): the
 * machine's own uplink is never offered to a driver by default. A pcap port whose interface
 * disappears takes its nub, and so its driver, with it.
 */
export class EthernetPortProvider {
  readonly #host: IOServiceHost;
  readonly #nubs = new Map<string, { nub: IOEthernetPort; spec: EthernetPortSpec }>();
  #timer: NodeJS.Timeout | null = null;

  constructor(host: IOServiceHost) {
    this.#host = host;
  }

  start(pollMs = 500): void {
    for (const name of (process.env.DRIVERKIT_ETHERNET_PORTS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) this.add({ backend: 'pcap', locator: name });
    this.#timer = setInterval(() => void this.#sweep(), pollMs);
    this.#timer.unref();
  }

  /** Publishes a port; returns what withdraws it. */
  add(spec: EthernetPortSpec): () => Promise<void> {
    const key = `${spec.backend}:${spec.locator}`;
    if (!this.#nubs.has(key)) {
      const nub = new IOEthernetPort();
      nub.setName(spec.name ?? spec.locator);
      nub.setProperty('IOEthernetPortBackend', spec.backend);
      nub.setProperty('IOEthernetPortLocator', spec.locator);
      const mac = spec.mac ?? (spec.backend === 'pcap' ? macOf(spec.locator) : null);
      if (mac) nub.setProperty('IOMACAddress', OSData.withBytes(mac));
      if (spec.backend === 'pcap') nub.setProperty('IOInterfaceName', spec.locator);
      // As a macOS Ethernet dext needs the networking family entitlement, so does a driver of this nub.
      nub.setProperty('IOServiceDEXTEntitlements', [[kIOUserNetworkFamilyEntitlement]]);
      this.#nubs.set(key, { nub, spec });
      this.#host.publishNub(nub);
      nub.release();
    }
    return () => this.#remove(key);
  }

  async #remove(key: string): Promise<void> {
    const entry = this.#nubs.get(key);
    if (!entry) return;
    this.#nubs.delete(key);
    await entry.nub.Terminate();
  }

  async #sweep(): Promise<void> {
    for (const [key, { spec }] of this.#nubs) if (spec.backend === 'pcap' && !existsSync(`/sys/class/net/${spec.locator}`)) await this.#remove(key);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all([...this.#nubs.keys()].map((k) => this.#remove(k)));
  }
}

function macOf(interfaceName: string): Uint8Array | null {
  try {
    return parseMAC(readFileSync(`/sys/class/net/${interfaceName}/address`, 'utf8'));
  } catch {
    return null;
  }
}
