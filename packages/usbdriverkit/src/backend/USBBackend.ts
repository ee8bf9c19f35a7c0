/** The 8-byte SETUP packet of a control transfer. */
export interface USBSetupPacket {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** What a backend knows of a device before anyone opens it. */
export interface USBDeviceInfo {
  /** Unique within the backend and stable while the device stays plugged in. */
  readonly id: string;
  readonly deviceDescriptor: Uint8Array;
  /** Each configuration descriptor, whole (wTotalLength bytes), in index order. */
  readonly configurations: Uint8Array[];
  /** bConfigurationValue of the active configuration, 0 when unconfigured. */
  readonly activeConfiguration: number;
  /** kIOUSBHostConnectionSpeed*. */
  readonly speed: number;
  readonly address: number;
  /** Apple's locationID: bus in the top byte, then one nibble per hub port. */
  readonly locationID: number;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serialNumber?: string;
}

/**
 * How a transfer ended. Stall, timeout, abort and unplug are outcomes, not exceptions: a pipe hands
 * them to the driver's completion with the bytes that did move.
 */
export interface USBTransferResult {
  /** kIOReturnSuccess, kUSBHostReturnPipeStalled, kIOReturnTimeout, kIOReturnAborted, kIOReturnNoDevice, kIOReturnOverrun… */
  status: number;
  /** Bytes moved (IN: the length of `data`). */
  length: number;
  /** IN transfers: the bytes received. */
  data: Uint8Array | null;
}

export interface USBIsochFrameResult {
  status: number;
  length: number;
}

export interface USBIsochResult {
  status: number;
  frames: USBIsochFrameResult[];
  /** IN: the packets' bytes laid out at their requested offsets. */
  data: Uint8Array | null;
}

/** An open device. Calls on a closed or unplugged device reject with kIOReturnNoDevice or kIOReturnNotOpen. */
export interface USBDeviceHandle {
  controlTransfer(setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult>;
  /** Bulk or interrupt transfer on `endpointAddress` (bit 7 set for IN). */
  transfer(endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult>;
  /** Isochronous transfer of `frameLengths.length` packets; backends without isochronous support reject with kIOReturnUnsupported. */
  isochTransfer(endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult>;
  setConfiguration(value: number): Promise<void>;
  /** Claims an interface; `detachKernelDriver` first unbinds a kernel driver that holds it. */
  claimInterface(interfaceNumber: number, detachKernelDriver: boolean): Promise<void>;
  releaseInterface(interfaceNumber: number): Promise<void>;
  setAlternateSetting(interfaceNumber: number, alternateSetting: number): Promise<void>;
  clearHalt(endpointAddress: number): Promise<void>;
  /** Ends pending transfers on `endpointAddress` (null: control) with `status`. */
  abort(endpointAddress: number | null, status: number): void;
  reset(): Promise<void>;
  /** The bus frame counter and the host time it was read (ns). */
  frameNumber(): { frame: bigint; time: bigint };
  /** The state of the hub port the device is on (what GetPortStatus reports). */
  portState(): USBPortState;
  close(): Promise<void>;
}

/**
 * One source of USB devices (libusb, the virtual host, a replayed capture), the way node-serialport's
 * bindings hide the OS: the family's nubs and pipes only ever see this interface.
 */
export interface USBBackend {
  readonly name: string;
  list(): Promise<USBDeviceInfo[]>;
  /** Calls `onChange` after devices come or go; returns the unsubscribe. */
  watch(onChange: () => void): () => void;
  open(id: string): Promise<USBDeviceHandle>;
  /**
   * Where a driver process finds device `id` to open it itself, or null (or absent) when only this
   * process can reach it (the virtual bus the host models). A located device's handle lives in the
   * driver process, as a dext's does; the host only grants its Open.
   */
  locate?(id: string): USBDeviceLocator | null;
}

/**
 * How a driver process opens a device of another process's backend: `backend` names a backend the
 * family knows (`libusb`), or `module` for any other, whose `export` has a static
 * `create(options)` resolving to a {@link USBBackend}; then `open(id)`.
 */
export interface USBDeviceLocator {
  backend: string;
  id: string;
  /** The device node the driver process will open, when there is one (its account must be let in). */
  node?: string;
  /** An ES module (a path or a package) for `backend: 'module'`. */
  module?: string;
  export?: string;
  options?: Record<string, string>;
}

/** What a device's hub port is doing, as IOUSBHostDevice::GetPortStatus reports it. */
export interface USBPortState {
  /** kIOUSBHostPortType…: standard (0), captive (1), internal (2), accessory (3). */
  type: number;
  suspended: boolean;
  overcurrent: boolean;
  resetting: boolean;
}
