/*
 * A port of Apple's "Connecting a network driver" sample (NetworkingDriverKitSample.cpp): a
 * hardware-less IOUserNetworkEthernet. Its Start makes the packet pool and the four queues and
 * registers with the networking stack, so the interface appears in `ip link`; a timer stands in for
 * receive interrupts and hands the stack a canned ICMP echo request every 5 seconds; transmitted
 * packets go straight back to the stack.
 *
 * Apple reads two NVRAM boot args; here they are environment variables: NDKS_ENABLE=0 keeps the
 * driver from starting, NDKS_DEBUG=1 turns on the DLOG lines. NDKS_RECEIVE_INTERVAL_MS changes the
 * 5 s receive period (the tests shorten it).
 */
import {
  IODispatchQueue,
  IOService,
  IOTimerDispatchSource,
  OSAction,
  OSSafeReleaseNULL,
  clock_gettime_nsec_np,
  kIOReturnSuccess,
  kIOTimerClockUptimeRaw,
} from '@driverkit/driverkit';
import {
  IOUserNetworkEthernet,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  PoolFlagMapToDext,
  formatMAC,
  kIOUserNetworkLinkStatusActive,
  kIOUserNetworkMediaEthernet1000BaseT,
  kIOUserNetworkMediaEthernet100BaseTX,
  kIOUserNetworkMediaEthernetAuto,
  type IOUserNetworkMediaType,
  type IOUserNetworkPacket,
  type IOUserNetworkPacketQueue,
} from '@driverkit/networkingdriverkit';

const kMillisecondScale = 1_000_000n;
const kSecondScale = 1_000_000_000n;

/** Mirrors IOParseBootArgNumber: the boot arg `name` (here NDKS_ENABLE for ndks-enable), or `fallback`. */
function IOParseBootArgNumber(name: string, fallback: number): number {
  const v = process.env[name.toUpperCase().replace(/-/g, '_')];
  return v === undefined || v === '' || Number.isNaN(Number(v)) ? fallback : Number(v);
}

let ndks_debug = 0;
const LOG = (fmt: string) => console.log(`NetworkingDriverKitSample: ${fmt}`);
const DLOG = (fmt: string) => ndks_debug && console.log(`NetworkingDriverKitSample [debug]: ${fmt}`);

/** Instance variables associated with the device. */
interface NetworkingDriverKitSample_IVars {
  dsQueue: IODispatchQueue | null;
  pool: IOUserNetworkPacketBufferPool | null;
  txsQueue: IOUserNetworkTxSubmissionQueue | null;
  txcQueue: IOUserNetworkTxCompletionQueue | null;
  rxsQueue: IOUserNetworkRxSubmissionQueue | null;
  rxcQueue: IOUserNetworkRxCompletionQueue | null;
  txPacketAction: OSAction | null;
  chosenMediaType: IOUserNetworkMediaType;
  activeMediaType: IOUserNetworkMediaType;
  receiveTimerSource: IOTimerDispatchSource | null;
  receiveTimer: OSAction | null;
  enable: boolean;
}

const macAddress = { octet: [0x10, 0x22, 0x33, 0x44, 0x55, 0x66] };

const mediaTable: IOUserNetworkMediaType[] = [kIOUserNetworkMediaEthernetAuto, kIOUserNetworkMediaEthernet100BaseTX, kIOUserNetworkMediaEthernet1000BaseT];

// An ICMP echo request from 17.192.170.19 to 17.192.170.17, to our MAC address.
// prettier-ignore
const echoRequest = Uint8Array.from([
  0x10, 0x22, 0x33, 0x44, 0x55, 0x66, 0x10, 0xdd,
  0xb1, 0xa2, 0xee, 0xeb, 0x08, 0x00, 0x45, 0x00,
  0x00, 0x54, 0x82, 0x61, 0x00, 0x00, 0x40, 0x01,
  0x80, 0xa3, 0x11, 0xc0, 0xaa, 0x13, 0x11, 0xc0,
  0xaa, 0x11, 0x08, 0x00, 0xe8, 0x12, 0x12, 0x02,
  0x00, 0x00, 0x5b, 0xfd, 0xd3, 0xbe, 0x00, 0x02,
  0xe3, 0x29, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
  0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
  0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25,
  0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
  0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35,
  0x36, 0x37,
]);

export class NetworkingDriverKitSample extends IOUserNetworkEthernet {
  ivars!: NetworkingDriverKitSample_IVars;
  // Reused on every callback, as the original's stack arrays are: no allocation per packet.
  readonly #packets: IOUserNetworkPacket[] = new Array(8);

  /** The init routine initialises the instance variables prior to start. */
  override init(): boolean {
    if (!super.init()) return false;
    this.ivars = {
      dsQueue: null,
      pool: null,
      txsQueue: null,
      txcQueue: null,
      rxsQueue: null,
      rxcQueue: null,
      txPacketAction: null,
      chosenMediaType: kIOUserNetworkMediaEthernetAuto,
      activeMediaType: kIOUserNetworkMediaEthernet1000BaseT,
      receiveTimerSource: null,
      receiveTimer: null,
      enable: false,
    };
    return true;
  }

  /**
   * Prepares the interface for the networking stack: the queues and callbacks, then registration
   * with the stack and the service tree.
   */
  override async Start(provider: IOService): Promise<void> {
    DLOG(`==> (${provider.getName()})`);
    // The boot arg 'ndks-enable' controls whether this driver is allowed to run.
    if (IOParseBootArgNumber('ndks-enable', 1) === 0) throw new Error('disabled by ndks-enable=0');
    ndks_debug = IOParseBootArgNumber('ndks-debug', 0);

    await super.Start(provider);
    try {
      // Every call to and from NetworkingDriverKit happens on the Default queue, in order.
      const dsQueue = this.CopyDispatchQueue('Default');
      if (!dsQueue) throw new Error('no Default dispatch queue');
      this.ivars.dsQueue = dsQueue;

      // The packet pool that demonstrates the packet lifecycle, named for debugging.
      this.ivars.pool = IOUserNetworkPacketBufferPool.CreateWithOptions(this, 'NetworkingDriverKitSample', {
        packetCount: 32,
        bufferCount: 32,
        bufferSize: 16 * 1024,
        maxBuffersPerPacket: 1,
        memorySegmentSize: 0,
        poolFlags: PoolFlagMapToDext,
        dmaSpecification: { maxAddressBits: 64 },
      });

      // The transmit submission queue, and the action the stack's packets arrive through.
      this.ivars.txPacketAction = OSAction.Create(this, 'TxPacketAvailable');
      this.ivars.txsQueue = IOUserNetworkTxSubmissionQueue.Create(this.ivars.pool, this, 8, 0, dsQueue);
      const dataQueue = this.ivars.txsQueue.CopyDataQueue();
      dataQueue.SetDataAvailableHandler(this.ivars.txPacketAction);
      OSSafeReleaseNULL(dataQueue);

      // The other three queues.
      this.ivars.txcQueue = IOUserNetworkTxCompletionQueue.Create(this.ivars.pool, this, 8, 0, dsQueue);
      this.ivars.rxsQueue = IOUserNetworkRxSubmissionQueue.Create(this.ivars.pool, this, 8, 0, dsQueue);
      this.ivars.rxcQueue = IOUserNetworkRxCompletionQueue.Create(this.ivars.pool, this, 8, 0, dsQueue);

      // A timer that mimics reception from the network.
      this.ivars.receiveTimerSource = IOTimerDispatchSource.Create(dsQueue);
      this.ivars.receiveTimer = OSAction.Create(this, 'ReceiveTimer');
      this.ivars.receiveTimerSource.SetHandler(this.ivars.receiveTimer);

      // The card's Ethernet media, for the network settings.
      this.ReportAvailableMediaTypes(mediaTable, mediaTable.length);

      // Hints for how the hardware uses transmitted packets.
      this.SetTxPacketHeadroom(8);
      this.SetTxPacketTailroom(16);

      // Hardware that wakes on a magic packet says so.
      this.SetWakeOnMagicPacketSupport(true);

      const queues: IOUserNetworkPacketQueue[] = [this.ivars.txsQueue, this.ivars.txcQueue, this.ivars.rxsQueue, this.ivars.rxcQueue];

      // Register the interface and queues with the networking stack.
      await this.RegisterEthernetInterface(macAddress, this.ivars.pool, queues, 4);

      // Register as an available service.
      this.RegisterService();
      LOG(`registered ${this.GetInterfaceName()} (${formatMAC(Uint8Array.from(macAddress.octet))})`);
    } catch (e) {
      await this.Stop(provider);
      throw e;
    }
    DLOG(`<== (${provider.getName()})`);
  }

  /** Undoes everything Start did. */
  override async Stop(provider: IOService): Promise<void> {
    DLOG(`==> (${provider.getName()})`);
    this.ivars.receiveTimerSource?.Cancel(() => {
      this.ivars.receiveTimerSource = OSSafeReleaseNULL(this.ivars.receiveTimerSource);
    });
    this.ivars.rxcQueue = OSSafeReleaseNULL(this.ivars.rxcQueue);
    this.ivars.rxsQueue = OSSafeReleaseNULL(this.ivars.rxsQueue);
    this.ivars.txcQueue = OSSafeReleaseNULL(this.ivars.txcQueue);
    this.ivars.txsQueue = OSSafeReleaseNULL(this.ivars.txsQueue);
    this.ivars.txPacketAction = OSSafeReleaseNULL(this.ivars.txPacketAction);
    this.ivars.receiveTimer = OSSafeReleaseNULL(this.ivars.receiveTimer);
    this.ivars.pool = OSSafeReleaseNULL(this.ivars.pool);
    await super.Stop(provider);
    LOG('Stop()');
    DLOG(`<== (${provider.getName()})`);
  }

  /**
   * Follows `ip link set … up/down`: enables the four queues and starts the timer that mimics
   * receive interrupts, or stops them.
   */
  override async SetInterfaceEnable(isEnable: boolean): Promise<number> {
    DLOG(`==> (${isEnable})`);
    const iv = this.ivars;
    if (isEnable) {
      iv.txcQueue!.SetEnable(true);
      iv.txsQueue!.SetEnable(true);
      iv.rxcQueue!.SetEnable(true);
      iv.rxsQueue!.SetEnable(true);
      // Start the periodic timer.
      const now = clock_gettime_nsec_np(kIOTimerClockUptimeRaw);
      iv.receiveTimerSource!.WakeAtTime(kIOTimerClockUptimeRaw, now + 1000n * kMillisecondScale, 0n);
      // Mimic bringing up the physical link.
      await this.ReportLinkStatus(kIOUserNetworkLinkStatusActive, iv.activeMediaType);
      iv.enable = true;
    } else {
      // Stop any pending periodic timer, and disable the queues.
      iv.receiveTimerSource!.Cancel(() => {});
      iv.receiveTimerSource = IOTimerDispatchSource.Create(iv.dsQueue!);
      iv.receiveTimerSource.SetHandler(iv.receiveTimer!);
      iv.txcQueue!.SetEnable(false);
      iv.txsQueue!.SetEnable(false);
      iv.rxcQueue!.SetEnable(false);
      iv.rxsQueue!.SetEnable(false);
      iv.enable = false;
    }
    LOG(`SetInterfaceEnable(${isEnable})`);
    return kIOReturnSuccess;
  }

  /** The stack placed packets on the transmit submission queue: "send" them and give them back. */
  TxPacketAvailable(_action: OSAction): void {
    const packets = this.#packets;
    const dequeueCount = this.ivars.txsQueue!.DequeuePackets(packets, 8);
    for (let i = 0; i < dequeueCount; i++) {
      const packet = packets[i]!;
      DLOG(`dequeue - TX packet[${i}] = ${packet.index} dataOffset = ${packet.getDataOffset()} linkHeaderLength = ${packet.GetLinkHeaderLength()} length = ${packet.getDataLength()}`);
      if (this.ivars.txcQueue!.EnqueuePacket(packet) !== kIOReturnSuccess) {
        this.ivars.pool!.DeallocatePacket(packet);
        LOG('Returning Tx Packet failed just return to pool');
      }
    }
  }

  /**
   * Mimics a receive interrupt: copies the canned ICMP echo request into the buffers the receive
   * submission queue provides and passes them to the receive completion queue, then re-arms.
   */
  ReceiveTimer(_action: OSAction, _time: bigint): void {
    const packets = this.#packets;
    const dequeueCount = this.ivars.rxsQueue!.DequeuePackets(packets, 8);
    const linkHeaderLength = 0;
    for (let i = 0; i < dequeueCount; i++) {
      const packet = packets[i]!;
      const dataOffset = packet.getDataOffset();
      packet.getDataVirtualAddress().set(echoRequest, dataOffset);
      let good_packet = packet.setDataOffset(dataOffset) === kIOReturnSuccess;
      good_packet &&= packet.SetLinkHeaderLength(linkHeaderLength) === kIOReturnSuccess;
      good_packet &&= packet.setDataLength(echoRequest.length) === kIOReturnSuccess;
      if (good_packet) {
        DLOG(`enqueue - packet[${i}] = ${packet.index}`);
        if (this.ivars.rxcQueue!.EnqueuePacket(packet) !== kIOReturnSuccess) {
          this.ivars.pool!.DeallocatePacket(packet);
          LOG('Enqueue failed dropping pkt');
        }
      } else {
        this.ivars.pool!.DeallocatePacket(packet);
        LOG('Packet setup failed dropping pkt');
      }
    }
    const period = BigInt(IOParseBootArgNumber('ndks-receive-interval-ms', 0)) * kMillisecondScale || 5n * kSecondScale;
    const deadline = clock_gettime_nsec_np(kIOTimerClockUptimeRaw) + period;
    this.ivars.receiveTimerSource?.WakeAtTime(kIOTimerClockUptimeRaw, deadline, 0n);
  }

  // What a real driver would program into its hardware; the sample logs when each is called.

  override SetPromiscuousModeEnable(enable: boolean): number {
    LOG(`SetPromiscuousModeEnable(${enable})`);
    return kIOReturnSuccess;
  }

  override SetWakeOnMagicPacketEnable(enable: boolean): number {
    DLOG(`==> (${enable})`);
    return kIOReturnSuccess;
  }

  override SetMTU(mtu: number): number {
    LOG(`SetMTU(${mtu})`);
    return kIOReturnSuccess;
  }

  /** The largest MTU the hardware can take. */
  override GetMaxTransferUnit(): number {
    return 9000;
  }

  override SetHardwareAssists(hardwareAssists: number): number {
    DLOG(`==> (${hardwareAssists})`);
    return kIOReturnSuccess;
  }

  override GetHardwareAssists(): number {
    return 0;
  }

  /** The multicast addresses the stack wants the hardware's packet filter to pass. */
  override SetMulticastAddresses(addresses: readonly Uint8Array[], count: number): number {
    for (let i = 0; i < count; i++) LOG(`MC[${i}]: ${formatMAC(addresses[i]!)}`);
    return kIOReturnSuccess;
  }

  override SetAllMulticastModeEnable(enable: boolean): number {
    LOG(`SetAllMulticastModeEnable(${enable})`);
    return kIOReturnSuccess;
  }

  /** Follows the media the user picks; Auto means 1000BaseT here. */
  override async SelectMediaType(mediaType: IOUserNetworkMediaType): Promise<number> {
    LOG(`SelectMediaType(${mediaType.toString(16)})`);
    let status = kIOReturnSuccess;
    if (this.ivars.chosenMediaType !== mediaType) {
      this.ivars.chosenMediaType = mediaType;
      this.ivars.activeMediaType = mediaType === kIOUserNetworkMediaEthernetAuto ? kIOUserNetworkMediaEthernet1000BaseT : mediaType;
      if (this.ivars.enable) status = await this.ReportLinkStatus(kIOUserNetworkLinkStatusActive, this.ivars.activeMediaType);
    }
    return status;
  }
}
