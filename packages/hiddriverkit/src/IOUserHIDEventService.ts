import { IOBufferMemoryDescriptor, IOReturnError, kIOReturnBadArgument, type IOFixed, OSAction, OSArray, OSDictionary, OSNumber, kIOMemoryDirectionInOut, kIOReturnUnsupported, type IOMemoryDescriptor, type IOService, type OSObject } from '@driverkit/driverkit';
import type { IOHIDElement } from './IOHIDElement';
import { kGameControllerFixedFields, type IOHIDGameControllerData } from './IOHIDEvent';
import { IOHIDInterface } from './IOHIDInterface';
import { IOHIDEventService } from './IOHIDEventService';

/** dpadUp … joystickRz (16 IOFixed), thumbstickButtonLeft, thumbstickButtonRight: the standard event's arguments. */
type GameControllerStandardArgs = [IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, boolean, boolean];

/**
 * Mirrors `IOUserHIDEventService`: an event service on an IOHIDInterface. Start opens the interface;
 * each input report first updates the interface's elements (`processReport`), then reaches
 * {@link handleReport}, which a subclass overrides to read the elements it cares about and dispatch
 * events. Stop closes the interface.
 */
export class IOUserHIDEventService extends IOHIDEventService {
  static override readonly className: string = 'IOUserHIDEventService';
  #interface: IOHIDInterface | null = null;

  /** How many report buffers {@link createReportPool} adds. */
  static readonly kReportPoolSize = 16;

  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    if (!(provider instanceof IOHIDInterface)) throw new IOReturnError(kIOReturnUnsupported, `${this.getClassName()} needs an IOHIDInterface provider, not ${provider.getClassName()}`);
    // A driver that declines the device does not open it.
    if (!(await this.handleStart(provider))) throw new IOReturnError(kIOReturnUnsupported, `${this.getName()}.handleStart declined ${provider.getName()}`);
    this.#interface = provider;
    await provider.Open(this, 0, OSAction.Create(this, 'ReportAvailable', 0));
    try {
      this.createReportPool();
    } catch (e) {
      await provider.Close(this);
      this.#interface = null;
      throw e;
    }
  }

  /**
   * Mirrors `IOUserHIDEventService::createReportPool`: buffers of the device's largest input report
   * (`MaxInputReportSize`), added to the interface's pool (`AddReportToPool`); reports arrive in them.
   */
  createReportPool(): void {
    const provider = this.#interface!;
    const size = Math.max(1, Number(provider.getProperty('MaxInputReportSize')?.toString() ?? 0));
    for (let i = 0; i < IOUserHIDEventService.kReportPoolSize; i++) {
      const md = IOBufferMemoryDescriptor.Create(kIOMemoryDirectionInOut, size);
      try {
        provider.AddReportToPool(md);
      } finally {
        md.release();
      }
    }
  }

  /**
   * Mirrors `IOUserHIDEventService::handleStart(provider)`: a subclass's chance to look at the
   * interface before the service opens it; false fails Start. The default takes every interface.
   */
  handleStart(_provider: IOHIDInterface): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Mirrors `IOUserHIDEventService::conformsTo(usagePage, usage)`: whether the device declares that
   * usage pair, as its primary usage or among its DeviceUsagePairs.
   */
  conformsTo(usagePage: number, usage: number): boolean {
    const provider = this.#interface ?? (this.GetProvider() as IOHIDInterface | null);
    if (!provider) return false;
    const num = (o: OSObject | null | undefined) => (o instanceof OSNumber ? Number(o.unsigned32BitValue()) : -1);
    if (num(provider.getProperty('PrimaryUsagePage')) === usagePage && num(provider.getProperty('PrimaryUsage')) === usage) return true;
    const pairs = provider.getProperty('DeviceUsagePairs');
    if (!(pairs instanceof OSArray)) return false;
    for (const p of pairs) if (p instanceof OSDictionary && num(p.getObject('DeviceUsagePage')) === usagePage && num(p.getObject('DeviceUsage')) === usage) return true;
    return false;
  }

  /** Mirrors `IOUserHIDEventService::getElements`: the provider interface's elements, updated by each report. */
  getElements(): IOHIDElement[] {
    if (!this.#interface) throw new IOReturnError(kIOReturnUnsupported, `${this.getClassName()}.getElements before Start`);
    return this.#interface.getElements();
  }

  /**
   * Mirrors `dispatchStandardGameControllerEvent(timeStamp, dpadUp, dpadDown, dpadLeft, dpadRight,
   * faceX, faceY, faceA, faceB, shoulderL1, shoulderR1, shoulderL2, shoulderR2, joystickX, joystickY,
   * joystickZ, joystickRz, thumbstickButtonLeft, thumbstickButtonRight, options)` (DriverKit 21):
   * buttons 0…1, axes −1…1, as IOFixed; a value outside its range is kIOReturnBadArgument, by name.
   */
  dispatchStandardGameControllerEvent(timeStamp: bigint, ...args: [...GameControllerStandardArgs, number?]): void {
    this.#dispatchGameController(timeStamp, false, args.slice(0, 16) as IOFixed[], args[16] as boolean, args[17] as boolean, [], (args[18] as number | undefined) ?? 0);
  }

  /**
   * Mirrors `dispatchExtendedGameControllerEvent(…, thumbstickButtonRight, buttonL4, buttonR4,
   * buttonL5, buttonR5, options)` (DriverKit 22, deprecated in 23): L4/R4 become shoulderL4/R4 and
   * L5/R5 bottomM1/M2 of the event.
   */
  dispatchExtendedGameControllerEvent(timeStamp: bigint, ...args: [...GameControllerStandardArgs, IOFixed, IOFixed, IOFixed, IOFixed, number?]): void {
    this.#dispatchGameController(timeStamp, true, args.slice(0, 16) as IOFixed[], args[16] as boolean, args[17] as boolean, args.slice(18, 22) as IOFixed[], (args[22] as number | undefined) ?? 0);
  }

  /**
   * Mirrors `dispatchExtendedGameControllerEventWithOptionalButtons(…, thumbstickButtonRight,
   * shoulderL4, shoulderR4, bottomM1, bottomM2, bottomM3, bottomM4, options)` (DriverKit 23).
   */
  dispatchExtendedGameControllerEventWithOptionalButtons(timeStamp: bigint, ...args: [...GameControllerStandardArgs, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, IOFixed, number?]): void {
    this.#dispatchGameController(timeStamp, true, args.slice(0, 16) as IOFixed[], args[16] as boolean, args[17] as boolean, args.slice(18, 24) as IOFixed[], (args[24] as number | undefined) ?? 0);
  }

  #dispatchGameController(timestamp: bigint, extended: boolean, fixed: IOFixed[], thumbL: boolean, thumbR: boolean, optional: IOFixed[], options: number): void {
    const controller = { thumbstickButtonLeft: thumbL === true, thumbstickButtonRight: thumbR === true } as IOHIDGameControllerData;
    const values = [...fixed, ...optional];
    for (let i = 0; i < kGameControllerFixedFields.length; i++) {
      const field = kGameControllerFixedFields[i]!;
      const v = values[i] ?? 0;
      // The joystick axes run −1…1; every button, the triggers included, 0…1.
      const min = i >= 12 && i < 16 ? -0x10000 : 0;
      if (!Number.isInteger(v) || v < min || v > 0x10000) throw new IOReturnError(kIOReturnBadArgument, `${this.getName()}: game controller ${field} is ${v}, outside ${min < 0 ? '−1…1' : '0…1'} as IOFixed (${min}…65536)`);
      controller[field] = v;
    }
    this.dispatchEvent({ type: 'gameController', timestamp, extended, controller, options });
  }

  /** The interface this service sits on. */
  protected get hidInterface(): IOHIDInterface | null {
    return this.#interface;
  }

  /**
   * Mirrors `IOUserHIDEventService::ReportAvailable(timestamp, reportID, reportLength, type, report,
   * action)`: `report` is a pool buffer holding `reportLength` bytes. Updates the elements, then calls
   * {@link handleReport}.
   */
  ReportAvailable(_action: OSAction, timestamp: bigint, reportID: number, reportLength: number, type: number, md: IOMemoryDescriptor): void {
    // A pool buffer's view is made once (GetBytes keeps it); another descriptor is read.
    const report = md instanceof IOBufferMemoryDescriptor ? md.GetBytes() : md.readBytes(0, reportLength);
    const changed = this.#interface!.processReport(timestamp, report, reportLength, type, reportID);
    this.handleReport(timestamp, report, reportLength, type, reportID, changed);
  }

  /**
   * Mirrors `IOUserHIDEventService::handleReport(timestamp, report, reportLength, type, reportID)`: by
   * now the elements hold this report's values and timestamp. `changed` lists the elements whose
   * value this report changed (our addition: it saves scanning every element).
   */
  handleReport(_timestamp: bigint, _report: Uint8Array, _reportLength: number, _type: number, _reportID: number, _changed: readonly IOHIDElement[] = []): void {}

  override async Stop(provider: IOService): Promise<void> {
    const i = this.#interface;
    this.#interface = null;
    await i?.Close(this);
    await super.Stop(provider);
  }
}
