// Apple's sample "Handling keyboard events from a human interface device" (HIDKeyboardDriver), ported:
// an event service that finds the keyboard elements among its interface's elements and dispatches a
// keyboard event for each key whose state a report changed.

import { IOReturnError, kIOReturnError, kIOReturnUnsupported, type IOService } from '@driverkit/driverkit';
import {
  IOUserHIDEventService,
  kHIDPage_KeyboardOrKeypad,
  kHIDUsage_KeyboardA,
  kHIDUsage_KeyboardRightGUI,
  kIOHIDElementTypeCollection,
  kIOHIDValueOptionsFlagPrevious,
  type IOHIDElement,
} from '@driverkit/hiddriverkit';

const log = (message: string) => console.log(`HIDKeyboardDriver - ${message}`);

export class HIDKeyboardDriver extends IOUserHIDEventService {
  // HIDKeyboardDriver_IVars
  #elements: IOHIDElement[] | null = null;
  readonly #keyboard: { elements: IOHIDElement[] | null } = { elements: null };

  /**
   * Starts the service by getting and parsing the IOHIDElement objects that the parent event service
   * provides. If the elements contain keyboard-related data, it registers the service with the system.
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
      log('No supported elements found');
      await super.Stop(provider);
      throw new IOReturnError(kIOReturnUnsupported, 'No supported elements found');
    }

    this.RegisterService();
  }

  /** Looks for elements that contain keyboard data; true if it finds any. */
  parseElements(elements: IOHIDElement[]): boolean {
    let result = false;
    for (const element of elements) {
      if (element.getType() === kIOHIDElementTypeCollection || !element.getUsage()) continue;
      if (this.parseKeyboardElement(element)) result = true;
    }
    return result;
  }

  /** True if the element holds keyboard data; keeps it for handleKeyboardReport. */
  parseKeyboardElement(element: IOHIDElement): boolean {
    let result = false;
    const usagePage = element.getUsagePage();
    const usage = element.getUsage();

    // Determine whether the element contains keyboard-related data.
    if (usagePage === kHIDPage_KeyboardOrKeypad) {
      if (usage >= kHIDUsage_KeyboardA && usage <= kHIDUsage_KeyboardRightGUI) result = true;
    }
    if (!result) return false;

    this.#keyboard.elements ??= [];
    // Save a reference to the element for later.
    this.#keyboard.elements.push(element);
    return result;
  }

  /** Receives the input data from the device and hands it to handleKeyboardReport. */
  override handleReport(timestamp: bigint, _report: Uint8Array, _reportLength: number, _type: number, reportID: number): void {
    this.handleKeyboardReport(timestamp, reportID);
  }

  /**
   * Processes the keyboard elements. By now the parent class has updated the elements retrieved in
   * Start, so each holds data from the most recent input report.
   */
  handleKeyboardReport(timestamp: bigint, reportID: number): void {
    if (!this.#keyboard.elements) return;

    // Iterate over the elements that contain keyboard data.
    for (const element of this.#keyboard.elements) {
      // If the element doesn't contain new data, skip it.
      if (element.getReportID() !== reportID) continue;
      if (element.getTimeStamp() !== timestamp) continue;

      // Get the previous value of the element.
      const preValue = element.getValue(kIOHIDValueOptionsFlagPrevious) !== 0 ? 1 : 0;
      const value = element.getValue(0) !== 0 ? 1 : 0;

      // If the element's value didn't change, skip it.
      if (value === preValue) continue;

      // The element has new data: dispatch an event with the new value to the system.
      const usagePage = element.getUsagePage();
      const usage = element.getUsage();
      this.dispatchKeyboardEvent(timestamp, usagePage, usage, value, 0, true);
    }
  }

  override async Stop(provider: IOService): Promise<void> {
    log('Stop()');
    await super.Stop(provider);
  }
}
