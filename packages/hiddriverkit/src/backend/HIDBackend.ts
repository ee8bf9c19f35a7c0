/** What a backend knows of one HID device before it is opened. */
export interface HIDDeviceDescription {
  /** The backend's name for the device (a /dev/hidrawN path, a virtual device's id). */
  path: string;
  vendorId: number;
  productId: number;
  versionNumber: number;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  /** Apple's Transport values: `USB`, `Bluetooth`, `I2C`, `Virtual`, … */
  transport: string;
  /** A stable number for where the device is attached (Apple's LocationID). */
  locationID: number;
  reportDescriptor: Uint8Array;
}

/** An open HID device. Reports carry their report ID as the first byte when the device numbers them. */
export interface HIDDeviceHandle {
  /** Subscribes to input reports; returns the unsubscribe function. */
  onInputReport(listener: (report: Uint8Array) => void): () => void;
  /** Called once if the device goes away (unplugged, destroyed). */
  onRemoved(listener: () => void): void;
  /** Sends an output or feature report (SET_REPORT). */
  setReport(type: 'output' | 'feature', report: Uint8Array): Promise<void>;
  /** Reads a feature (or input) report (GET_REPORT) of up to `length` bytes. */
  getReport(type: 'input' | 'feature', reportID: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * One way of reaching HID devices: hidraw through node-hid on Linux, or virtual devices in-process.
 * The HID family's classes use only this interface, like node-serialport's bindings.
 */
export interface HIDBackend {
  readonly name: string;
  list(): Promise<HIDDeviceDescription[]>;
  open(path: string): Promise<HIDDeviceHandle>;
}
