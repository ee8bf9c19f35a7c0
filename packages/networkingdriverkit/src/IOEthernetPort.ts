import { IOReturnError, IOService, IOUserServerRuntime, OSData, OSString, kIOReturnExclusiveAccess, kIOReturnNotOpen, kIOReturnSuccess } from '@driverkit/driverkit';
import type { EthernetPortHandle, EthernetPortStatistics } from './backend/EthernetPortBackend';
import type { IOUserNetworkPacket } from './IOUserNetworkPacket';
import { EthernetPortOpeners } from './backend/EthernetPortOpeners';

/**
 * The nub of one NIC an Ethernet driver drives (this port's stand-in for the USB interface or PCI
 * function a macOS Ethernet dext sits on): an existing Linux interface through libpcap, or another
 * backend named by `IOEthernetPortBackend`. The driver opens it in its own process and moves frames
 * between it and its packet pool's buffers with {@link ReceivePackets} and {@link TransmitPackets}.
 *
 * Properties: `IOEthernetPortBackend`, `IOEthernetPortLocator` (the interface name for pcap),
 * `IOMACAddress`, `IOMaxPacketSize`, `IOInterfaceName`.
 */
export class IOEthernetPort extends IOService {
  #handle: EthernetPortHandle | null = null;
  #client: IOService | null = null;

  /** Opens the port for `forClient`; only one client at a time (kIOReturnExclusiveAccess). */
  async Open(forClient: IOService): Promise<number> {
    if (this.#client && this.#client !== forClient) throw new IOReturnError(kIOReturnExclusiveAccess, `${this.getName()} is open by ${this.#client.getName()}`);
    if (this.#handle) return kIOReturnSuccess;
    const backend = this.#string('IOEthernetPortBackend');
    const locator = this.#string('IOEthernetPortLocator');
    this.#handle = await EthernetPortOpeners.get(backend)(locator);
    this.#client = forClient;
    return kIOReturnSuccess;
  }

  /** Closes the port (the capture and injection end). */
  Close(forClient: IOService): number {
    if (this.#client !== forClient) return kIOReturnNotOpen;
    this.#handle?.close();
    this.#handle = null;
    this.#client = null;
    return kIOReturnSuccess;
  }

  #string(key: string): string {
    const v = this.getProperty(key);
    if (!(v instanceof OSString)) throw new IOReturnError(kIOReturnNotOpen, `${this.getName()} has no ${key}`);
    return v.getCStringNoCopy();
  }

  #open(): EthernetPortHandle {
    if (!this.#handle) throw new IOReturnError(kIOReturnNotOpen, `${this.getName()} is not open (call Open first)`);
    return this.#handle;
  }

  /** The port's station address. */
  CopyMACAddress(): Uint8Array {
    if (this.#handle) return this.#handle.mac;
    const v = this.getProperty('IOMACAddress');
    return v instanceof OSData ? v.getBytesNoCopy().slice() : new Uint8Array(6);
  }

  /** The largest frame the port carries (Ethernet header and VLAN tag included). */
  GetMaxFrameSize(): number {
    return this.#open().maxFrameSize;
  }

  /** `handler` runs whenever received frames may be waiting (call {@link ReceivePackets} then). */
  SetFrameAvailableHandler(handler: () => void): void {
    this.#open().onReadable(handler);
  }

  /**
   * Fills up to `count` of `packets` (empty ones, from RX submission) with received frames, from
   * each packet's data offset; returns how many it filled. Malformed frames are counted and skipped.
   */
  ReceivePackets(packets: readonly IOUserNetworkPacket[], count = packets.length): number {
    const h = this.#open();
    let n = 0;
    while (n < count) {
      const p = packets[n]!;
      const offset = p.getDataOffset();
      const buffer = p.getDataVirtualAddress();
      const got = h.receive(buffer, offset, p.dataAddress());
      if (got === 0) break;
      p.setDataLength(got);
      p.SetLinkHeaderLength(14);
      n++;
    }
    return n;
  }

  /** Sends each packet's data; returns how many the port took (it drops the rest, counted). */
  TransmitPackets(packets: readonly IOUserNetworkPacket[], count = packets.length): number {
    const h = this.#open();
    let sent = 0;
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      if (h.send(p.getDataVirtualAddress(), p.getDataOffset(), p.getDataLength(), p.dataAddress())) sent++;
    }
    return sent;
  }

  /** A BPF filter (tcpdump syntax) on received frames. */
  SetFilter(expression: string): void {
    this.#open().setFilter(expression);
  }

  /** Whether the wire has carrier. */
  IsLinkUp(): boolean {
    return this.#open().linkUp();
  }

  GetStatistics(): Readonly<EthernetPortStatistics> {
    const h = this.#open() as EthernetPortHandle & { refreshStatistics?: () => void };
    h.refreshStatistics?.();
    return h.statistics;
  }

  /** A provider that ends (unpublished, or its driver stopping) closes the port. */
  override async Stop(provider: IOService): Promise<void> {
    if (this.#client) this.Close(this.#client);
    await super.Stop(provider);
  }
}

// Driver processes get this class, not a generic stand-in, for their IOEthernetPort providers.
IOUserServerRuntime.registerProviderClass('IOEthernetPort', IOEthernetPort);
