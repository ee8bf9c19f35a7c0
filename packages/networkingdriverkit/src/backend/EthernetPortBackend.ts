/** Counters every port keeps. */
export interface EthernetPortStatistics {
  received: number;
  sent: number;
  /** Frames dropped as malformed: runts (shorter than an Ethernet header), oversized, truncated captures. */
  bad: number;
  /** Frames the capture or the wire dropped (libpcap's drop counts, a full virtual link). */
  dropped: number;
}

/**
 * One open NIC, as a driver process holds it (the interface of every backend folder: pcap, virtual,
 * replay). Every port hands over every frame it receives (a pcap port captures promiscuously); the
 * stack above decides what it accepts. Frames move between the port and packet buffers by address, so a frame is copied once,
 * from the capture into the packet the stack will read, or not at all.
 */
export interface EthernetPortHandle {
  /** The port's station address. */
  readonly mac: Uint8Array;
  /** The largest frame the port carries (header included, no FCS). */
  readonly maxFrameSize: number;
  readonly statistics: EthernetPortStatistics;
  /**
   * Copies the next received frame into `buffer` from `offset` (`address` is that byte's address in
   * this process, or 0n for a buffer that is not mapped memory); returns its length, 0 when none is waiting. Malformed frames are counted in `bad`
   * and skipped.
   */
  receive(buffer: Uint8Array, offset: number, address: bigint): number;
  /** Sends the `length` bytes of `buffer` from `offset` (at `address`); false when the port refused them. */
  send(buffer: Uint8Array, offset: number, length: number, address: bigint): boolean;
  /** `listener` runs (on the event loop) whenever frames may be waiting; the port keeps watching until closed. */
  onReadable(listener: () => void): void;
  /** A BPF filter (tcpdump syntax) on received frames, where the backend supports one. */
  setFilter(expression: string): void;
  /** Whether the link is up (carrier). */
  linkUp(): boolean;
  close(): void;
}

/** Opens a port by its locator (what the nub's IOEthernetPortLocator says). */
export type EthernetPortOpener = (locator: string) => EthernetPortHandle | Promise<EthernetPortHandle>;
