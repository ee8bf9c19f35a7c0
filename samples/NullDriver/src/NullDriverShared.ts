// What the driver and its clients agree on, as the original keeps in both targets: the selectors and
// the layout of the structures they exchange.

/** The selectors of NullDriver's ExternalMethod. */
export enum ExternalMethodType {
  Scalar = 0,
  Struct = 1,
  CheckedScalar = 2,
  CheckedStruct = 3,
  RegisterAsyncCallback = 4,
  AsyncRequest = 5,
  NumberOfExternalMethods, // Has to be last
}

/** `typedef struct { uint64_t foo; uint64_t bar; } DataStruct;` */
export interface DataStruct {
  foo: bigint;
  bar: bigint;
}

export const sizeofDataStruct = 16;
/** `typedef struct { uint64_t foo; uint64_t bar; uint64_t largeArray[511]; } OversizedDataStruct;` */
export const sizeofOversizedDataStruct = 16 + 511 * 8;

/** Reads a DataStruct (little-endian, as on Apple's and Linux's 64-bit targets). */
export function readDataStruct(bytes: Uint8Array): DataStruct {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { foo: v.getBigUint64(0, true), bar: v.getBigUint64(8, true) };
}

/** Writes a DataStruct into `into` (or a new 16-byte array). */
export function writeDataStruct(s: DataStruct, into: Uint8Array = new Uint8Array(sizeofDataStruct)): Uint8Array {
  const v = new DataView(into.buffer, into.byteOffset, into.byteLength);
  v.setBigUint64(0, BigInt.asUintN(64, s.foo), true);
  v.setBigUint64(8, BigInt.asUintN(64, s.bar), true);
  return into;
}
