// __NAME__: an Ethernet driver in Apple's shape (NetworkingDriverKitSample's). Start makes the packet
// pool and the four queues and registers with the networking stack, so the interface appears in
// `ip link`; frames the stack sends arrive in TxPacketAvailable. This one has no hardware: it counts
// them and gives them back. Put your NIC's transmit there, and its receive into the RX queues.
import { IOService, OSAction, OSSafeReleaseNULL, kIOReturnSuccess, type IODispatchQueue } from '@driverkit/driverkit';
import {
  IOUserNetworkEthernet,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  PoolFlagMapToDext,
  kIOUserNetworkLinkStatusActive,
  kIOUserNetworkMediaEthernet1000BaseT,
  kIOUserNetworkMediaEthernetAuto,
  type IOUserNetworkPacket,
} from '@driverkit/networkingdriverkit';
import { k__NAME__UserClientType } from './__NAME__UserClient.js';

const Log = (message: string) => console.log(`__NAME__ - ${message}`);
// A locally administered address.
const macAddress = { octet: [0x02, 0x44, 0x4b, 0x00, 0x00, 0x01] };

export class __NAME__ extends IOUserNetworkEthernet {
  #pool: IOUserNetworkPacketBufferPool | null = null;
  #txs: IOUserNetworkTxSubmissionQueue | null = null;
  #txc: IOUserNetworkTxCompletionQueue | null = null;
  #rxs: IOUserNetworkRxSubmissionQueue | null = null;
  #rxc: IOUserNetworkRxCompletionQueue | null = null;
  #txAction: OSAction | null = null;
  readonly #packets: IOUserNetworkPacket[] = new Array(16);
  #sent = 0;
  #mtu = 1500;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    const queue = this.CopyDispatchQueue('Default') as IODispatchQueue;
    this.#pool = IOUserNetworkPacketBufferPool.CreateWithOptions(this, '__NAME__', {
      packetCount: 64,
      bufferCount: 64,
      bufferSize: 2048,
      maxBuffersPerPacket: 1,
      memorySegmentSize: 0,
      poolFlags: PoolFlagMapToDext,
      dmaSpecification: { maxAddressBits: 64 },
    });
    this.#txs = IOUserNetworkTxSubmissionQueue.Create(this.#pool, this, 16, 0, queue);
    this.#txAction = OSAction.Create(this, 'TxPacketAvailable');
    const txData = this.#txs.CopyDataQueue();
    txData.SetDataAvailableHandler(this.#txAction);
    txData.release();
    this.#txc = IOUserNetworkTxCompletionQueue.Create(this.#pool, this, 16, 0, queue);
    this.#rxs = IOUserNetworkRxSubmissionQueue.Create(this.#pool, this, 16, 0, queue);
    this.#rxc = IOUserNetworkRxCompletionQueue.Create(this.#pool, this, 16, 0, queue);
    this.ReportAvailableMediaTypes([kIOUserNetworkMediaEthernetAuto], 1);
    await this.RegisterEthernetInterface(macAddress, this.#pool, [this.#txs, this.#txc, this.#rxs, this.#rxc], 4);
    this.RegisterService();
    Log(`Start() - ${this.Identity()}`);
  }

  /** `ip link set … up` or `down`. */
  override async SetInterfaceEnable(isEnable: boolean): Promise<number> {
    for (const q of [this.#txc, this.#txs, this.#rxc, this.#rxs]) q?.SetEnable(isEnable);
    if (isEnable) await this.ReportLinkStatus(kIOUserNetworkLinkStatusActive, kIOUserNetworkMediaEthernet1000BaseT);
    return kIOReturnSuccess;
  }

  override SetMTU(mtu: number): number {
    this.#mtu = mtu;
    return kIOReturnSuccess;
  }

  /** The stack queued frames to send: "send" them, then hand them back on the completion queue. */
  TxPacketAvailable(_action: OSAction): void {
    const n = this.#txs!.DequeuePackets(this.#packets, this.#packets.length);
    for (let i = 0; i < n; i++) {
      const packet = this.#packets[i]!;
      this.#sent += 1;
      if (this.#txc!.EnqueuePacket(packet) !== kIOReturnSuccess) this.#pool!.DeallocatePacket(packet);
    }
  }

  /** The interface and what it did, for the user client. */
  Identity(): string {
    const mac = macAddress.octet.map((b) => b.toString(16).padStart(2, '0')).join(':');
    return `Ethernet ${this.GetInterfaceName() ?? '(not registered)'} (${mac}), MTU ${this.#mtu}, ${this.#sent} frames sent`;
  }

  override async NewUserClient(type: number): Promise<IOService> {
    if (type !== k__NAME__UserClientType) return super.NewUserClient(type);
    return this.Create(this, 'UserClientProperties');
  }

  override async Stop(provider: IOService): Promise<void> {
    Log('Stop()');
    this.#rxc = OSSafeReleaseNULL(this.#rxc);
    this.#rxs = OSSafeReleaseNULL(this.#rxs);
    this.#txc = OSSafeReleaseNULL(this.#txc);
    this.#txs = OSSafeReleaseNULL(this.#txs);
    this.#txAction = OSSafeReleaseNULL(this.#txAction);
    this.#pool = OSSafeReleaseNULL(this.#pool);
    await super.Stop(provider);
  }
}
