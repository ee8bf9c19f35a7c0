import { existsSync, readFileSync } from 'node:fs';
import { OSData, type IOServiceHost } from '@driverkit/driverkit';
import { kIOUserNetworkFamilyEntitlement, parseMAC } from '../NetworkingDriverKitConstants';
import { IOEthernetPort } from '../IOEthernetPort';
import type { ReplayPortOptions } from '../backend/replay/ReplayEthernetPort';

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
 * machine's own uplink is never offered to a driver by default. DRIVERKIT_ETHERNET_REPLAYS names
 * captures to publish as replay ports (paths, comma-separated, or a JSON array of paths and
 * {@link ReplayPortOptions}). A pcap port whose interface
 * disappears takes its nub, and so its driver, with it.
 */
export class EthernetPortProvider {
  readonly #host: IOServiceHost;
  readonly #nubs = new Map<string, { nub: IOEthernetPort; spec: EthernetPortSpec }>();
  #timer: NodeJS.Timeout | null = null;

  constructor(host: IOServiceHost) {
    this.#host = host;
  }

  /** Publishes the ports the environment names (unless `fromEnvironment` is false) and starts watching pcap ports' interfaces. */
  start(options: { fromEnvironment?: boolean; pollMs?: number } = {}): void {
    if (options.fromEnvironment !== false) this.#addFromEnvironment();
    this.#timer = setInterval(() => void this.#sweep(), options.pollMs ?? 500);
    this.#timer.unref();
  }

  #addFromEnvironment(): void {
    const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const name of list(process.env.DRIVERKIT_ETHERNET_PORTS)) this.add({ backend: 'pcap', locator: name });
    // Captures to replay as received traffic, each its own port (replay0, replay1…): paths, comma-separated,
    // or a JSON array of paths and ReplayPortOptions.
    const replays = process.env.DRIVERKIT_ETHERNET_REPLAYS ?? '';
    const entries = replays.trim().startsWith('[') ? (JSON.parse(replays) as unknown[]).map((e) => (typeof e === 'string' ? e : JSON.stringify(e))) : list(replays);
    entries.forEach((locator, i) => this.add({ backend: 'replay', locator, name: `replay${i}` }));
  }

  /** Publishes a port; returns what withdraws it. */
  add(spec: EthernetPortSpec): () => Promise<void> {
    const key = `${spec.backend}:${spec.locator}`;
    if (!this.#nubs.has(key)) {
      const nub = new IOEthernetPort();
      nub.setName(spec.name ?? spec.locator);
      nub.setProperty('IOEthernetPortBackend', spec.backend);
      nub.setProperty('IOEthernetPortLocator', spec.locator);
      const mac = spec.mac ?? (spec.backend === 'pcap' ? macOf(spec.locator) : spec.backend === 'virtual' ? macOfLink(spec.locator) : null);
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

  /** Withdraws every port (their drivers see them go), as unplugging every NIC would. */
  reset(): void {
    for (const key of [...this.#nubs.keys()]) void this.#remove(key);
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await Promise.all([...this.#nubs.keys()].map((k) => this.#remove(k)));
  }
}

function macOfLink(locator: string): Uint8Array | null {
  try {
    return parseMAC(String((JSON.parse(locator) as { mac?: unknown }).mac));
  } catch {
    return null;
  }
}

function macOf(interfaceName: string): Uint8Array | null {
  try {
    return parseMAC(readFileSync(`/sys/class/net/${interfaceName}/address`, 'utf8'));
  } catch {
    return null;
  }
}
