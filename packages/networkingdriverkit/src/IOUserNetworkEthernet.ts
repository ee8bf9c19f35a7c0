import { IOReturnError, IOService, OSArray, OSBoolean, OSData, OSDictionary, OSNumber, OSString, kIOReturnBadArgument, kIOReturnBusy, kIOReturnNotReady, kIOReturnSuccess, toOSDictionary, type IOProviderLink, type OSValue } from '@driverkit/driverkit';
import { kEthernetDefaultMTU, macBytes, mediaSpeed, parseMAC, type IOUserNetworkLinkQuality, type IOUserNetworkLinkStatus, type IOUserNetworkMACAddress, type IOUserNetworkMediaType, kIOUserNetworkLinkStatusActive } from './NetworkingDriverKitConstants';
import type { IOUserNetworkPacketBufferPool } from './IOUserNetworkPacketBufferPool';
import type { IOUserNetworkPacketQueue, IOUserNetworkPacketQueueType } from './IOUserNetworkPacketQueue';

/**
 * Mirrors `IOUserNetworkEthernet`: the class an Ethernet dext subclasses. `Start` creates a packet
 * pool and the four queues and calls {@link RegisterEthernetInterface}; the stack (the host, with a
 * Linux TAP interface as the system's side) then calls the overrides as the interface changes:
 * {@link SetInterfaceEnable} on `ip link set up/down`, {@link SetMTU}, {@link SetPromiscuousModeEnable},
 * {@link SetMulticastAddresses}, {@link SetAllMulticastModeEnable}. The driver reports the link
 * with {@link ReportLinkStatus}, which the interface shows as carrier (LOWER_UP / NO-CARRIER).
 *
 * The personality's IOClass must be `IOUserNetworkEthernet` (the kernel class the family provides)
 * and the driver needs the `com.apple.developer.driverkit.family.networking` entitlement. A personality
 * may name the interface with `BSD Name` (else the kernel numbers it `dk0`, `dk1`…).
 */
export class IOUserNetworkEthernet extends IOService {
  #link: IOProviderLink | null = null;
  #registered = false;
  #headroom = 0;
  #tailroom = 0;
  #interfaceName: string | null = null;
  #mac: Uint8Array = new Uint8Array(6);
  #events: Promise<void> | null = null;
  #stopping = false;

  /** Mirrors `RegisterEthernetInterface(macAddress, pool, queues, queueCount)`: one queue of each of the four types. */
  async RegisterEthernetInterface(macAddress: IOUserNetworkMACAddress, pool: IOUserNetworkPacketBufferPool, queues: readonly IOUserNetworkPacketQueue[], queueCount = queues.length): Promise<number> {
    if (this.#registered) throw new IOReturnError(kIOReturnBusy, `${this.getName()}.RegisterEthernetInterface: already registered as ${this.#interfaceName}`);
    let mac: Uint8Array;
    try {
      mac = macBytes(macAddress);
    } catch (e) {
      throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.RegisterEthernetInterface: ${(e as Error).message}`);
    }
    const given = queues.slice(0, queueCount);
    const types = given.map((q) => q.queueType);
    const wanted: IOUserNetworkPacketQueueType[] = ['RxSubmission', 'RxCompletion', 'TxSubmission', 'TxCompletion'];
    if (queueCount !== 4 || wanted.some((t) => types.filter((x) => x === t).length !== 1)) {
      throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.RegisterEthernetInterface: needs exactly one each of ${wanted.join(', ')}; got ${types.join(', ') || 'none'}`);
    }
    if (given.some((q) => q.pool !== pool)) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}.RegisterEthernetInterface: every queue must use the pool given`);
    const maxMTU = await this.GetMaxTransferUnit();
    this.#link = this.kernelLink();
    const result = await this.#link.call(
      'registerEthernetInterface',
      toOSDictionary({
        mac,
        pool: pool.memory.name!,
        queues: given.map((q) => q.describe()) as unknown as OSValue[],
        headroom: this.#headroom,
        tailroom: this.#tailroom,
        maxMTU,
      }),
    );
    const name = result.getObject('interfaceName');
    this.#interfaceName = name instanceof OSString ? name.getCStringNoCopy() : null;
    this.#registered = true;
    this.#mac = mac;
    this.setProperty('BSD Name', this.#interfaceName ?? '');
    this.setProperty('IOMACAddress', OSData.withBytes(mac));
    this.setProperty('IOMaxTransferUnit', OSNumber.withNumber(maxMTU, 32));
    this.#events = this.#followStack();
    return kIOReturnSuccess;
  }

  /** The station address the interface has now (the registered one, or the kernel side's accepted change). */
  CopyMACAddress(): Uint8Array {
    return this.#mac.slice();
  }

  /**
   * Changes the interface's MTU from the driver's side (an extension: on macOS only the stack sets it).
   * Refused above {@link GetMaxTransferUnit}; the stack does not echo it back through SetMTU.
   */
  async ChangeInterfaceMTU(mtu: number): Promise<number> {
    await this.#call('setMTU', { mtu });
    return kIOReturnSuccess;
  }

  /** Changes the interface's station address from the driver's side (an extension, as {@link ChangeInterfaceMTU}). */
  async ChangeInterfaceMACAddress(macAddress: IOUserNetworkMACAddress): Promise<number> {
    const mac = macBytes(macAddress);
    await this.#call('setMAC', { mac: OSData.withBytes(mac) });
    this.#mac = mac;
    this.setProperty('IOMACAddress', OSData.withBytes(mac));
    return kIOReturnSuccess;
  }

  /** The Linux interface this driver stands behind (`dk0`), once registered. */
  GetInterfaceName(): string | null {
    return this.#interfaceName;
  }

  /** Runs the stack's requests, in order, through the overrides. */
  async #followStack(): Promise<void> {
    const link = this.#link!;
    while (!this.#stopping) {
      let r: OSDictionary;
      try {
        r = await link.call('nextEvents', OSDictionary.withCapacity(0));
      } catch {
        return;
      }
      const events = r.getObject('events');
      if (events instanceof OSArray) {
        for (const e of events) if (e instanceof OSDictionary) await this.#deliver(e);
      }
      if ((r.getObject('closed') as OSBoolean | null)?.isTrue?.()) return;
    }
  }

  async #deliver(e: OSDictionary): Promise<void> {
    const kind = (e.getObject('kind') as OSString | null)?.getCStringNoCopy();
    const value = e.getObject('value');
    const flag = value instanceof OSBoolean && value.isTrue();
    try {
      let status: number | void = kIOReturnSuccess;
      if (kind === 'enable') status = await this.SetInterfaceEnable(flag);
      else if (kind === 'mtu' && value instanceof OSNumber) status = await this.SetMTU(Number(value.unsigned32BitValue()));
      else if (kind === 'promiscuous') status = await this.SetPromiscuousModeEnable(flag);
      else if (kind === 'allMulticast') status = await this.SetAllMulticastModeEnable(flag);
      else if (kind === 'mac') {
        const mac = parseMAC(((e.getObject('address') as OSString | null)?.getCStringNoCopy() ?? ''));
        if (mac) {
          status = await this.SetMACAddress(mac);
          // Refused: the interface gets the driver's address back.
          if (typeof status === 'number' && status !== kIOReturnSuccess) await this.#call('setMAC', { mac: OSData.withBytes(this.CopyMACAddress()) });
          else this.#mac = mac;
        }
      } else if (kind === 'multicast') {
        const list = e.getObject('addresses');
        const addresses = list instanceof OSArray ? [...list].map((a) => parseMAC((a as OSString).getCStringNoCopy())).filter((m): m is Uint8Array => m !== null) : [];
        status = await this.SetMulticastAddresses(addresses, addresses.length);
      }
      if (typeof status === 'number' && status !== kIOReturnSuccess) process.stderr.write(`${this.getName()}: the driver refused ${kind} (0x${status.toString(16)})\n`);
    } catch (err) {
      process.stderr.write(`${this.getName()}: handling ${kind} from the stack failed: ${(err as Error).message}\n`);
    }
  }

  #call(method: string, args: Record<string, OSValue>): Promise<OSDictionary> {
    if (!this.#link) return Promise.reject(new IOReturnError(kIOReturnNotReady, `${this.getName()}.${method}: call RegisterEthernetInterface first`));
    return this.#link.call(method, toOSDictionary(args));
  }

  /**
   * Mirrors `ReportLinkStatus(status, activeMediaType)`: the interface's carrier follows it
   * (active: LOWER_UP; anything else: NO-CARRIER), and the registry shows IOLinkStatus, IOLinkSpeed and IOActiveMedium.
   */
  async ReportLinkStatus(linkStatus: IOUserNetworkLinkStatus, activeMediaType: IOUserNetworkMediaType): Promise<number> {
    await this.#call('reportLinkStatus', { status: linkStatus, media: activeMediaType });
    this.setProperty('IOLinkStatus', OSNumber.withNumber(linkStatus, 32));
    this.setProperty('IOActiveMedium', OSNumber.withNumber(activeMediaType, 32));
    this.setProperty('IOLinkSpeed', OSNumber.withNumber(linkStatus === kIOUserNetworkLinkStatusActive ? mediaSpeed(activeMediaType) : 0, 64));
    return kIOReturnSuccess;
  }

  /** Mirrors `ReportLinkQuality`. */
  ReportLinkQuality(linkQuality: IOUserNetworkLinkQuality): number {
    this.setProperty('IOLinkQuality', OSNumber.withNumber(linkQuality, 32));
    return kIOReturnSuccess;
  }

  /** Mirrors `ReportDataBandwidths(maxInput, maxOutput, effectiveInput, effectiveOutput)` (bit/s). */
  ReportDataBandwidths(maxInput: bigint | number, maxOutput: bigint | number, effectiveInput: bigint | number, effectiveOutput: bigint | number): number {
    const d = toOSDictionary({ maxInput: BigInt(maxInput), maxOutput: BigInt(maxOutput), effectiveInput: BigInt(effectiveInput), effectiveOutput: BigInt(effectiveOutput) });
    this.setProperty('IODataBandwidths', d);
    d.release();
    return kIOReturnSuccess;
  }

  /** Mirrors `ReportAvailableMediaTypes(mediaTypes, count)`. */
  ReportAvailableMediaTypes(mediaTypes: readonly IOUserNetworkMediaType[], count = mediaTypes.length): number {
    const list = OSArray.withCapacity(count);
    for (const m of mediaTypes.slice(0, count)) list.setObject(OSNumber.withNumber(m, 32));
    this.setProperty('IOAvailableMediaTypes', list);
    list.release();
    return kIOReturnSuccess;
  }

  /** Mirrors `SetTxPacketHeadroom`: bytes the stack leaves before each TX frame. Before registering. */
  SetTxPacketHeadroom(headroom: number): number {
    if (this.#registered || !Number.isInteger(headroom) || headroom < 0 || headroom > 255) return kIOReturnBadArgument;
    this.#headroom = headroom;
    return kIOReturnSuccess;
  }

  /** Mirrors `SetTxPacketTailroom`: bytes the stack leaves after each TX frame. Before registering. */
  SetTxPacketTailroom(tailroom: number): number {
    if (this.#registered || !Number.isInteger(tailroom) || tailroom < 0 || tailroom > 255) return kIOReturnBadArgument;
    this.#tailroom = tailroom;
    return kIOReturnSuccess;
  }

  /** Mirrors `SetWakeOnMagicPacketSupport`. */
  SetWakeOnMagicPacketSupport(supported: boolean): number {
    this.setProperty('IOWakeOnMagicPacketSupported', supported);
    return kIOReturnSuccess;
  }

  /** Mirrors `SetSoftwareVlanSupport`. */
  SetSoftwareVlanSupport(supported: boolean): number {
    this.setProperty('IOSoftwareVLANSupported', supported);
    return kIOReturnSuccess;
  }

  // The overrides: the stack calls them. Each returns a kIOReturn status (or nothing for success).

  /** Mirrors `SetInterfaceEnable`: the interface went up (`ip link set … up`) or down; start or stop the hardware. */
  SetInterfaceEnable(_isEnable: boolean): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `SetPromiscuousModeEnable`. */
  SetPromiscuousModeEnable(_enable: boolean): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `SetMulticastAddresses(addresses, count)`: the link-layer groups the stack joined. */
  SetMulticastAddresses(_addresses: readonly Uint8Array[], _count: number): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `SetAllMulticastModeEnable`. */
  SetAllMulticastModeEnable(_enable: boolean): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `SetWakeOnMagicPacketEnable`. */
  SetWakeOnMagicPacketEnable(_enable: boolean): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /**
   * The stack changed the interface's station address (`ip link set … address`). Return an error to
   * refuse it: the interface gets the driver's address back. (No Apple counterpart: macOS does not let
   * the stack change a dext's address.)
   */
  SetMACAddress(_macAddress: Uint8Array): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `SetMTU`: the stack's new MTU (never above {@link GetMaxTransferUnit}). */
  SetMTU(_mtu: number): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `GetMaxTransferUnit` (the out-parameter is the return value): the largest MTU the hardware takes. */
  GetMaxTransferUnit(): Promise<number> | number {
    return kEthernetDefaultMTU;
  }

  /** Mirrors `SetHardwareAssists`. */
  SetHardwareAssists(_hardwareAssists: number): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Mirrors `GetHardwareAssists`. */
  GetHardwareAssists(): Promise<number> | number {
    return 0;
  }

  /** Mirrors `SelectMediaType`. */
  SelectMediaType(_mediaType: IOUserNetworkMediaType): Promise<number | void> | number | void {
    return kIOReturnSuccess;
  }

  /** Counters of the stack's side of the data path (frames submitted for TX, delivered from RX, dropped). */
  async CopyStackStatistics(): Promise<Record<string, number>> {
    const r = await this.#call('statistics', {});
    const out: Record<string, number> = {};
    for (const k of r.keys()) out[k] = Number((r.getObject(k) as OSNumber).unsigned64BitValue());
    return out;
  }

  /** Unregisters from the stack (the interface goes) before the service stops. */
  override async Stop(provider: IOService): Promise<void> {
    this.#stopping = true;
    if (this.#link && this.#registered) await this.#link.call('unregister', OSDictionary.withCapacity(0)).catch(() => {});
    await this.#events;
    await super.Stop(provider);
  }
}
