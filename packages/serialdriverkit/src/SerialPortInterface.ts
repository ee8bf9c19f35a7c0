/** sizeof(driverkit::serial::SerialPortInterface): four u32 indices, two u32 offsets, two u8 sizes, padded. */
export const kSerialPortInterfaceSize = 28;

/**
 * Mirrors `driverkit::serial::SerialPortInterface`, the memory the system and the driver share to
 * run the TX and RX rings: producer and consumer indices for each ring, where each ring starts in its
 * buffer and its size as log2. The indices run free (u32, wrapping): a ring holds `PI − CI` bytes,
 * and index `i` is at byte `offset + (i mod size)`. The system produces TX and consumes RX; the
 * driver consumes TX and produces RX.
 */
export class SerialPortInterface {
  readonly #view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, kSerialPortInterfaceSize);
  }

  get rxPI(): number {
    return this.#view.getUint32(0, true);
  }
  set rxPI(v: number) {
    this.#view.setUint32(0, v >>> 0, true);
  }
  get rxCI(): number {
    return this.#view.getUint32(4, true);
  }
  set rxCI(v: number) {
    this.#view.setUint32(4, v >>> 0, true);
  }
  get txPI(): number {
    return this.#view.getUint32(8, true);
  }
  set txPI(v: number) {
    this.#view.setUint32(8, v >>> 0, true);
  }
  get txCI(): number {
    return this.#view.getUint32(12, true);
  }
  set txCI(v: number) {
    this.#view.setUint32(12, v >>> 0, true);
  }
  get rxqoffset(): number {
    return this.#view.getUint32(16, true);
  }
  set rxqoffset(v: number) {
    this.#view.setUint32(16, v >>> 0, true);
  }
  get txqoffset(): number {
    return this.#view.getUint32(20, true);
  }
  set txqoffset(v: number) {
    this.#view.setUint32(20, v >>> 0, true);
  }
  get rxqlogsz(): number {
    return this.#view.getUint8(24);
  }
  set rxqlogsz(v: number) {
    this.#view.setUint8(24, v);
  }
  get txqlogsz(): number {
    return this.#view.getUint8(25);
  }
  set txqlogsz(v: number) {
    this.#view.setUint8(25, v);
  }
}
