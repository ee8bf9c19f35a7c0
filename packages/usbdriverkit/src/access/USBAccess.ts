import type { USBIsochResult, USBSetupPacket, USBTransferResult, USBPortState } from '../backend/USBBackend';

/** The session scope a call acts in: the whole device, or one interface (by bInterfaceNumber). */
export type USBScope = 'device' | number;

/** What a driver reads of a device without I/O: descriptors and the current settings. */
export interface USBDeviceSnapshot {
  deviceDescriptor: Uint8Array;
  configurations: Uint8Array[];
  bos: Uint8Array | null;
  activeConfiguration: number;
  /** Current alternate setting by interface number. */
  alternates: Record<number, number>;
  speed: number;
  address: number;
  locationID: number;
}

/**
 * Everything IOUSBHostDevice, IOUSBHostInterface and IOUSBHostPipe do to a device, as one interface:
 * the host's {@link USBDeviceSession} implements it over a backend, and a driver process's
 * `USBRemoteAccess` implements it by calling the nub in the host. `client` identifies the IOService
 * that opened the scope (Apple's forClient).
 */
export interface USBAccess {
  snapshot(): Promise<USBDeviceSnapshot>;
  /**
   * A GET_DESCRIPTOR, which needs no Open (strings, BOS, class descriptors): `wIndex` is the language
   * ID for strings and the interface number for interface-class descriptors, as Apple's `languageID`;
   * `requestType` is `kIOUSBDeviceRequestType…` (already shifted), `recipient` `kIOUSBDeviceRequestRecipient…`.
   */
  getDescriptor(type: number, index: number, wIndex: number, length: number, requestType: number, recipient: number): Promise<Uint8Array>;
  open(client: string, scope: USBScope, options: number): Promise<void>;
  close(client: string, scope: USBScope): Promise<void>;
  setConfiguration(client: string, value: number, matchInterfaces: boolean): Promise<void>;
  control(client: string, scope: USBScope, setup: USBSetupPacket, dataOut: Uint8Array | null, timeoutMs: number): Promise<USBTransferResult>;
  io(client: string, endpointAddress: number, dataOut: Uint8Array | null, lengthIn: number, timeoutMs: number): Promise<USBTransferResult>;
  isoch(client: string, endpointAddress: number, dataOut: Uint8Array | null, frameLengths: number[], timeoutMs: number): Promise<USBIsochResult>;
  /** Ends pending transfers on `endpointAddress` (null: control requests of `scope`) with `status`. */
  abort(client: string, scope: USBScope, endpointAddress: number | null, status: number): Promise<void>;
  clearHalt(client: string, endpointAddress: number, withRequest: boolean): Promise<void>;
  selectAlternateSetting(client: string, interfaceNumber: number, alternateSetting: number): Promise<void>;
  reset(client: string): Promise<void>;
  frameNumber(): Promise<{ frame: bigint; time: bigint }>;
  portState(): Promise<USBPortState>;
}
