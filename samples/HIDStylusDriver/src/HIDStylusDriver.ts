// Apple's sample "Handling stylus input from a human interface device" (HIDStylusDriver), ported: an
// event service that files each digitizer element under the stylus collection it belongs to, and on
// each report that changed a stylus's data dispatches a stylus event with its position, pressure,
// twist, tilt and buttons.

import { IOFixedFromDouble, IOReturnError, kIOReturnError, kIOReturnUnsupported, type IOService } from '@driverkit/driverkit';
import {
  IOHIDDigitizerCollection,
  IOUserHIDEventService,
  kHIDPage_Digitizer,
  kHIDPage_GenericDesktop,
  kHIDUsage_Dig_BarrelPressure,
  kHIDUsage_Dig_BarrelSwitch,
  kHIDUsage_Dig_Eraser,
  kHIDUsage_Dig_InRange,
  kHIDUsage_Dig_Invert,
  kHIDUsage_Dig_Puck,
  kHIDUsage_Dig_Stylus,
  kHIDUsage_Dig_TipPressure,
  kHIDUsage_Dig_TipSwitch,
  kHIDUsage_Dig_Twist,
  kHIDUsage_Dig_XTilt,
  kHIDUsage_Dig_YTilt,
  kHIDUsage_GD_X,
  kHIDUsage_GD_Y,
  kHIDUsage_GD_Z,
  kIOHIDDigitizerCollectionTypeStylus,
  kIOHIDElementTypeCollection,
  kIOHIDElementTypeInput_Misc,
  kIOHIDValueOptionsFlagPrevious,
  kIOHIDValueScaleTypeCalibrated,
  kIOHIDValueScaleTypePhysical,
  type IOHIDDigitizerStylusData,
  type IOHIDElement,
} from '@driverkit/hiddriverkit';

const log = (message: string) => console.log(`HIDStylusDriver - ${message}`);

/** Usage pages from 0xFF00 up are the vendor's own: no driver but the vendor's can read them. */
const kHIDPage_VendorDefinedStart = 0xff00;

export class HIDStylusDriver extends IOUserHIDEventService {
  // HIDStylusDriver_IVars
  #elements: IOHIDElement[] | null = null;
  readonly #digitizer: { collections: IOHIDDigitizerCollection[] | null } = { collections: null };

  /**
   * Starts the service by getting and parsing the IOHIDElement objects that the parent event service
   * provides. If the elements contain stylus data, it registers the service with the system.
   */
  override async Start(provider: IOService): Promise<void> {
    await super.Start(provider);
    log('Hello World');

    this.#elements = this.getElements();
    if (!this.#elements) {
      log('Failed to get elements');
      await super.Stop(provider);
      throw new IOReturnError(kIOReturnError, 'Failed to get elements');
    }

    if (!this.parseElements(this.#elements)) {
      const reason = `No supported elements found: ${this.#whyNoStylus(provider.getName())}`;
      log(reason);
      await super.Stop(provider);
      throw new IOReturnError(kIOReturnUnsupported, reason);
    }

    log(`${this.#digitizer.collections!.length} stylus collection(s) found`);
    this.RegisterService();
  }

  /** Looks for elements that contain stylus data; true if it finds any. */
  parseElements(elements: IOHIDElement[]): boolean {
    let result = false;
    for (const element of elements) {
      if (element.getType() === kIOHIDElementTypeCollection || !element.getUsage() || element.isConstant()) continue;
      if (this.parseDigitizerElement(element)) result = true;
    }
    return result;
  }

  /**
   * True if the element belongs to a stylus: climbs the element's parents to the digitizer collection
   * (a stylus or a puck) that holds it, and files the element in that collection for handleReport.
   */
  parseDigitizerElement(element: IOHIDElement): boolean {
    let parent = element.getParentElement();
    while (parent) {
      if (parent.getType() === kIOHIDElementTypeCollection && parent.getUsagePage() === kHIDPage_Digitizer && (parent.getUsage() === kHIDUsage_Dig_Stylus || parent.getUsage() === kHIDUsage_Dig_Puck)) break;
      parent = parent.getParentElement();
    }
    if (!parent) return false;

    this.#digitizer.collections ??= [];
    let collection = this.#digitizer.collections.find((c) => c.collection === parent);
    if (!collection) {
      collection = new IOHIDDigitizerCollection(kIOHIDDigitizerCollectionTypeStylus, parent);
      this.#digitizer.collections.push(collection);
    }
    // Save a reference to the element for later.
    collection.addElement(element);
    return true;
  }

  /** Receives the input data from the device and hands it to handleDigitizerReport. */
  override handleReport(timestamp: bigint, _report: Uint8Array, _reportLength: number, _type: number, reportID: number): void {
    this.handleDigitizerReport(timestamp, reportID);
  }

  /**
   * Processes the stylus elements. By now the parent class has updated the elements retrieved in
   * Start, so each holds data from the most recent input report.
   */
  handleDigitizerReport(timestamp: bigint, reportID: number): void {
    if (!this.#digitizer.collections) return;

    this.#digitizer.collections.forEach((collection, index) => {
      let changed = false;
      const stylusData: IOHIDDigitizerStylusData = { identifier: index, x: 0, y: 0, z: 0, tipPressure: 0, barrelPressure: 0, twist: 0, tiltX: 0, tiltY: 0, buttonState: 0, inRange: false, invert: false };
      let hasInRange = false;
      // Some descriptors repeat a usage (HP ZBook x2's pen reports X and Y twice): the first one counts.
      const seen = new Set<number>();

      // Iterate over the stylus's elements, reading each into the stylus data.
      for (const element of collection.elements) {
        // If the element doesn't contain new data, skip it.
        if (element.getReportID() !== reportID || element.getTimeStamp() !== timestamp) continue;
        const key = element.getUsagePage() * 0x10000 + element.getUsage();
        if (seen.has(key)) continue;
        seen.add(key);
        if (element.getValue(0) !== element.getValue(kIOHIDValueOptionsFlagPrevious)) changed = true;

        const value = element.getValue(0);
        const calibrated = IOFixedFromDouble(element.getScaledValue(kIOHIDValueScaleTypeCalibrated));
        if (element.getUsagePage() === kHIDPage_GenericDesktop) {
          switch (element.getUsage()) {
            case kHIDUsage_GD_X:
              stylusData.x = calibrated;
              break;
            case kHIDUsage_GD_Y:
              stylusData.y = calibrated;
              break;
            case kHIDUsage_GD_Z:
              stylusData.z = calibrated;
              break;
          }
        } else if (element.getUsagePage() === kHIDPage_Digitizer) {
          switch (element.getUsage()) {
            case kHIDUsage_Dig_TipPressure:
              stylusData.tipPressure = calibrated;
              break;
            case kHIDUsage_Dig_BarrelPressure:
              stylusData.barrelPressure = calibrated;
              break;
            case kHIDUsage_Dig_Twist:
              stylusData.twist = calibrated;
              break;
            // Tilt is an angle: its physical value, in degrees.
            case kHIDUsage_Dig_XTilt:
              stylusData.tiltX = IOFixedFromDouble(element.getScaledValue(kIOHIDValueScaleTypePhysical));
              break;
            case kHIDUsage_Dig_YTilt:
              stylusData.tiltY = IOFixedFromDouble(element.getScaledValue(kIOHIDValueScaleTypePhysical));
              break;
            case kHIDUsage_Dig_TipSwitch:
              if (value) stylusData.buttonState |= 1 << 0;
              break;
            case kHIDUsage_Dig_BarrelSwitch:
              if (value) stylusData.buttonState |= 1 << 1;
              break;
            case kHIDUsage_Dig_Eraser:
              if (value) stylusData.buttonState |= 1 << 2;
              stylusData.invert ||= value !== 0;
              break;
            case kHIDUsage_Dig_Invert:
              stylusData.invert ||= value !== 0;
              break;
            case kHIDUsage_Dig_InRange:
              hasInRange = true;
              stylusData.inRange = value !== 0;
              break;
          }
        }
      }

      // If none of the stylus's data changed, there is nothing to tell the system.
      if (!changed) return;
      // A stylus without an in-range element is in range while its tip is down.
      if (!hasInRange) stylusData.inRange = (stylusData.buttonState & 1) !== 0;
      this.dispatchDigitizerStylusEvent(timestamp, stylusData);
    });
  }

  override async Stop(provider: IOService): Promise<void> {
    log('Stop()');
    await super.Stop(provider);
  }

  /** Why a device has nothing for this driver, in terms its owner can act on. */
  #whyNoStylus(device: string): string {
    const inputs = (this.#elements ?? []).filter((e) => e.getType() >= kIOHIDElementTypeInput_Misc && e.getType() < kIOHIDElementTypeCollection && !e.isConstant() && e.fields.reportType === 'input');
    const vendor = [...new Set(inputs.filter((e) => e.getUsagePage() >= kHIDPage_VendorDefinedStart).map((e) => e.getReportID()))];
    const pages = [...new Set(inputs.filter((e) => e.getUsagePage() >= kHIDPage_VendorDefinedStart).map((e) => `0x${e.getUsagePage().toString(16).toUpperCase()}`))];
    const base = `${device} has no stylus or puck collection on the Digitizer page`;
    if (vendor.length === 0) return base;
    return `${base}; its input report${vendor.length > 1 ? 's' : ''} ${vendor.join(', ')} ${vendor.length > 1 ? 'are' : 'is'} vendor-defined (page ${pages.join(', ')}), which only the vendor's own driver can read`;
  }
}
