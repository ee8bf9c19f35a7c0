/*
 * EthernetBridgeDriver: a NIC driver in the shape of Apple's NetworkingDriverKitSample, with real
 * hardware under it. Its provider is an IOEthernetPort, an existing Linux interface captured and
 * injected through libpcap (a veth end in the tests). Frames the stack sends (TX submission) are
 * injected on the port; frames the port receives fill the stack's empty packets (RX submission)
 * and go up (RX completion). The driver stands behind its own TAP interface, so the kernel sees a
 * second NIC whose every frame passed through this process.
 *
 * Its station address is the port's with the locally administered bit flipped: the port's own
 * address already belongs to the port's interface on this machine, and frames to it must not reach
 * this machine's stack twice (once through that interface, once through the driver).
 */
import { IODispatchQueue, IOService, IOTimerDispatchSource, OSAction, OSSafeReleaseNULL, clock_gettime_nsec_np, kIOReturnSuccess, kIOTimerClockUptimeRaw } from '@driverkit/driverkit';
import {
  IOEthernetPort,
  IOUserNetworkEthernet,
  IOUserNetworkPacketBufferPool,
  IOUserNetworkRxCompletionQueue,
  IOUserNetworkRxSubmissionQueue,
  IOUserNetworkTxCompletionQueue,
  IOUserNetworkTxSubmissionQueue,
  formatMAC,
  kIOUserNetworkLinkStatusActive,
  kIOUserNetworkLinkStatusInactive,
  kIOUserNetworkMediaEthernet10GBaseT,
  kIOUserNetworkMediaEthernetAuto,
  type IOUserNetworkPacket,
} from '@driverkit/networkingdriverkit';

const kPacketCount = 512;
const kQueueCapacity = 256;
const kBatch = 64;
const kLinkPollNs = 200_000_000n;

interface EthernetBridgeDriver_IVars {
  queue: IODispatchQueue;
  port: IOEthernetPort;
  pool: IOUserNetworkPacketBufferPool;
  txsQueue: IOUserNetworkTxSubmissionQueue;
  txcQueue: IOUserNetworkTxCompletionQueue;
  rxsQueue: IOUserNetworkRxSubmissionQueue;
  rxcQueue: IOUserNetworkRxCompletionQueue;
  txAction: OSAction;
  rxAction: OSAction;
  linkTimer: IOTimerDispatchSource;
  linkAction: OSAction;
  enabled: boolean;
  linkUp: boolean | null;
}

export class EthernetBridgeDriver extends IOUserNetworkEthernet {
  ivars: EthernetBridgeDriver_IVars | null = null;
  // Batches reused on every callback: moving frames allocates nothing.
  readonly #tx: IOUserNetworkPacket[] = new Array(kBatch);
  readonly #rx: IOUserNetworkPacket[] = new Array(kBatch);
  // Empty RX packets taken from the stack that no frame has filled yet.
  #spare = 0;

  /** The largest MTU the port's frames allow. */
  override GetMaxTransferUnit(): number {
    return this.ivars ? this.ivars.port.GetMaxFrameSize() - 18 : 1500;
  }

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    if (!(provider instanceof IOEthernetPort)) throw new Error(`EthernetBridgeDriver needs an IOEthernetPort, not ${provider.getClassName()}`);
    const queue = this.CopyDispatchQueue('Default');
    if (!queue) throw new Error('no Default dispatch queue');
    await provider.Open(this);
    const pool = IOUserNetworkPacketBufferPool.Create(this, 'EthernetBridgeDriver', kPacketCount, kPacketCount, 2048);
    const iv: EthernetBridgeDriver_IVars = {
      queue,
      port: provider,
      pool,
      txsQueue: IOUserNetworkTxSubmissionQueue.Create(pool, this, kQueueCapacity, 0, queue),
      txcQueue: IOUserNetworkTxCompletionQueue.Create(pool, this, kQueueCapacity, 0, queue),
      rxsQueue: IOUserNetworkRxSubmissionQueue.Create(pool, this, kQueueCapacity, 0, queue),
      rxcQueue: IOUserNetworkRxCompletionQueue.Create(pool, this, kQueueCapacity, 0, queue),
      txAction: OSAction.Create(this, 'TxPacketAvailable'),
      rxAction: OSAction.Create(this, 'ReceiveFrames'),
      linkTimer: IOTimerDispatchSource.Create(queue),
      linkAction: OSAction.Create(this, 'LinkTimer'),
      enabled: false,
      linkUp: null,
    };
    this.ivars = iv;
    const dataQueue = iv.txsQueue.CopyDataQueue();
    dataQueue.SetDataAvailableHandler(iv.txAction);
    OSSafeReleaseNULL(dataQueue);
    // The stack refilled RX submission: frames may have waited for packets.
    const rxQueue = iv.rxsQueue.CopyDataQueue();
    rxQueue.SetDataAvailableHandler(iv.rxAction);
    OSSafeReleaseNULL(rxQueue);
    iv.linkTimer.SetHandler(iv.linkAction);
    provider.SetFrameAvailableHandler(() => iv.queue.DispatchAsync(() => this.ReceiveFrames()));
    this.ReportAvailableMediaTypes([kIOUserNetworkMediaEthernetAuto]);
    const mac = provider.CopyMACAddress().slice();
    mac[0] = (mac[0]! ^ 0x02) & 0xfe;
    await this.RegisterEthernetInterface(mac, pool, [iv.txsQueue, iv.txcQueue, iv.rxsQueue, iv.rxcQueue]);
    this.RegisterService();
    console.log(`EthernetBridgeDriver: ${this.GetInterfaceName()} (${formatMAC(mac)}) drives ${provider.getName()}, frames up to ${provider.GetMaxFrameSize()} bytes`);
  }

  override async Stop(provider: IOService): Promise<void> {
    const iv = this.ivars;
    if (iv) {
      iv.linkTimer.Cancel();
      iv.port.Close(this);
      for (const o of [iv.txAction, iv.rxAction, iv.linkAction, iv.linkTimer, iv.rxcQueue, iv.rxsQueue, iv.txcQueue, iv.txsQueue, iv.pool]) o.release();
      this.ivars = null;
    }
    await super.Stop(provider);
    console.log('EthernetBridgeDriver: Stop()');
  }

  /** `ip link set … up`/`down`: the queues follow, and the link is reported as the port's carrier. */
  override async SetInterfaceEnable(isEnable: boolean): Promise<number> {
    const iv = this.ivars!;
    for (const q of [iv.txcQueue, iv.txsQueue, iv.rxcQueue, iv.rxsQueue]) q.SetEnable(isEnable);
    iv.enabled = isEnable;
    iv.linkUp = null;
    if (isEnable) {
      await this.LinkTimer();
      this.ReceiveFrames();
    }
    console.log(`EthernetBridgeDriver: SetInterfaceEnable(${isEnable})`);
    return kIOReturnSuccess;
  }

  /** Frames the stack sends: inject them on the port, then give the packets back. */
  TxPacketAvailable(_action: OSAction): void {
    const iv = this.ivars;
    if (!iv) return;
    for (let n = iv.txsQueue.DequeuePackets(this.#tx, kBatch); n > 0; n = iv.txsQueue.DequeuePackets(this.#tx, kBatch)) {
      iv.port.TransmitPackets(this.#tx, n);
      const back = iv.txcQueue.EnqueuePackets(this.#tx, n);
      for (let i = back; i < n; i++) iv.pool.DeallocatePacket(this.#tx[i]!);
    }
  }

  /** Frames the port received: into the stack's empty packets, and up. */
  ReceiveFrames(): void {
    const iv = this.ivars;
    if (!iv?.enabled) return;
    for (;;) {
      while (this.#spare < kBatch) {
        const p = iv.rxsQueue.DequeuePacket();
        if (!p) break;
        this.#rx[this.#spare++] = p;
      }
      if (this.#spare === 0) return;
      const filled = iv.port.ReceivePackets(this.#rx, this.#spare);
      if (filled === 0) return;
      const up = iv.rxcQueue.EnqueuePackets(this.#rx, filled);
      for (let i = up; i < filled; i++) iv.pool.DeallocatePacket(this.#rx[i]!);
      // Unfilled packets move to the front for the next frames.
      for (let i = filled; i < this.#spare; i++) this.#rx[i - filled] = this.#rx[i]!;
      this.#spare -= filled;
    }
  }

  /** Follows the port's carrier, reporting each change to the stack (the TAP shows LOWER_UP or NO-CARRIER). */
  async LinkTimer(): Promise<void> {
    const iv = this.ivars;
    if (!iv?.enabled) return;
    const up = iv.port.IsLinkUp();
    if (up !== iv.linkUp) {
      iv.linkUp = up;
      await this.ReportLinkStatus(up ? kIOUserNetworkLinkStatusActive : kIOUserNetworkLinkStatusInactive, kIOUserNetworkMediaEthernet10GBaseT);
      console.log(`EthernetBridgeDriver: link ${up ? 'up' : 'down'}`);
    }
    iv.linkTimer.WakeAtTime(kIOTimerClockUptimeRaw, clock_gettime_nsec_np(kIOTimerClockUptimeRaw) + kLinkPollNs, 0n);
  }
}
