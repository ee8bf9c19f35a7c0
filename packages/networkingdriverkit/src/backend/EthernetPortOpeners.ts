import { IOReturnError, kIOReturnUnsupported } from '@driverkit/driverkit';
import type { EthernetPortOpener } from './EthernetPortBackend';
import { PcapEthernetPort } from './pcap/PcapEthernetPort';
import { ReplayEthernetPort } from './replay/ReplayEthernetPort';
import { VirtualEthernetLinkEnd } from './virtual/VirtualEthernetLinkEnd';

/**
 * The backends a process opens Ethernet ports through, by the name a nub carries in
 * `IOEthernetPortBackend`. A driver opens its port itself, in its own process: frames never cross
 * to the host on the hardware side.
 */
export class EthernetPortOpeners {
  static readonly #openers = new Map<string, EthernetPortOpener>([
    ['pcap', (locator) => PcapEthernetPort.open(locator)],
    ['virtual', (locator) => VirtualEthernetLinkEnd.open(locator)],
    ['replay', (locator) => ReplayEthernetPort.open(locator)],
  ]);

  /** Adds a backend (a user's own, or a test's), replacing one of the same name. */
  static register(name: string, opener: EthernetPortOpener): void {
    EthernetPortOpeners.#openers.set(name, opener);
  }

  static get(name: string): EthernetPortOpener {
    const opener = EthernetPortOpeners.#openers.get(name);
    if (!opener) throw new IOReturnError(kIOReturnUnsupported, `no Ethernet port backend named "${name}" in this process (have ${[...EthernetPortOpeners.#openers.keys()].join(', ')})`);
    return opener;
  }
}
