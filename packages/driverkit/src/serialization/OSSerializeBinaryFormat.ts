/**
 * Constants of XNU's binary serialization (libkern OSSerializeBinary.cpp), the format every message
 * between the host, drivers and apps uses. Little-endian 32-bit words throughout.
 */

/** `kOSSerializeBinarySignature`: the first word of a plain stream ("\323\0\0"). */
export const kOSSerializeBinarySignature = 0x000000d3;
/** `kOSSerializeIndexedBinarySignature`: the low byte of an indexed stream's first word. */
export const kOSSerializeIndexedBinarySignature = 0xd4;

export const kOSSerializeDictionary = 0x01000000;
export const kOSSerializeArray = 0x02000000;
export const kOSSerializeSet = 0x03000000;
export const kOSSerializeNumber = 0x04000000;
export const kOSSerializeSymbol = 0x08000000;
export const kOSSerializeString = 0x09000000;
export const kOSSerializeData = 0x0a000000;
export const kOSSerializeBoolean = 0x0b000000;
export const kOSSerializeObject = 0x0c000000;

export const kOSSerializeTypeMask = 0x7f000000;
export const kOSSerializeDataMask = 0x00ffffff;
/** Marks the last element of a collection (Apple spells it `kOSSerializeEndCollecton`). */
export const kOSSerializeEndCollection = 0x80000000;

/** XNU's deserializer limits: nesting depth and object count. */
export const kOSSerializeMaxDepth = 64;
export const kOSSerializeMaxObjects = 16 * 1024 * 1024;
