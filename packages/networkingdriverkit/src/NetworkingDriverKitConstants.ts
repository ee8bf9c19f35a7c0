/** Mirrors `IOUserNetworkMACAddress`: six octets. */
export type IOUserNetworkMACAddress = { octet: Uint8Array | readonly number[] } | Uint8Array | readonly number[];

/** The six bytes of a MAC address given any way {@link IOUserNetworkMACAddress} allows. */
export function macBytes(mac: IOUserNetworkMACAddress): Uint8Array {
  const octets = mac instanceof Uint8Array || Array.isArray(mac) ? mac : (mac as { octet: Uint8Array | readonly number[] }).octet;
  const bytes = Uint8Array.from(octets as ArrayLike<number>);
  if (bytes.length !== 6 || bytes.some((b, i) => !Number.isInteger((octets as ArrayLike<number>)[i]) || b !== (octets as ArrayLike<number>)[i])) {
    throw new RangeError(`a MAC address is six octets 0–255, got [${Array.from(octets as ArrayLike<number>).join(', ')}]`);
  }
  return bytes;
}

/** `aa:bb:cc:dd:ee:ff`. */
export function formatMAC(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses `aa:bb:cc:dd:ee:ff` (or with dashes); null when it is not one. */
export function parseMAC(text: string): Uint8Array | null {
  const m = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text.trim());
  return m ? Uint8Array.from(m.slice(1), (h) => parseInt(h, 16)) : null;
}

// IOUserNetworkMediaType (IOUserNetworkTypes.h): the ifmedia word, type | subtype | options.
export const kIOUserNetworkMediaTypeEthernet = 0x20;
export const kIOUserNetworkMediaEthernetAuto = 0x20;
export const kIOUserNetworkMediaEthernetManual = 0x21;
export const kIOUserNetworkMediaEthernetNone = 0x22;
export const kIOUserNetworkMediaEthernet10BaseT = 0x23;
export const kIOUserNetworkMediaEthernet100BaseTX = 0x26;
export const kIOUserNetworkMediaEthernet1000BaseT = 0x30;
export const kIOUserNetworkMediaEthernet2500BaseT = 0x36;
export const kIOUserNetworkMediaEthernet5000BaseT = 0x37;
export const kIOUserNetworkMediaEthernet10GBaseT = 0x3a;
export const kIOUserNetworkMediaOptionFullDuplex = 0x0010_0000;
export const kIOUserNetworkMediaOptionHalfDuplex = 0x0020_0000;
export type IOUserNetworkMediaType = number;

/** Mirrors `IOUserNetworkLinkStatus`. */
export const kIOUserNetworkLinkStatusInvalid = 0;
export const kIOUserNetworkLinkStatusInactive = 1;
export const kIOUserNetworkLinkStatusActive = 3;
export type IOUserNetworkLinkStatus = number;

/** Mirrors `IOUserNetworkLinkQuality`. */
export const kIOUserNetworkLinkQualityOff = -2;
export const kIOUserNetworkLinkQualityUnknown = -1;
export const kIOUserNetworkLinkQualityBad = 10;
export const kIOUserNetworkLinkQualityPoor = 50;
export const kIOUserNetworkLinkQualityGood = 100;
export type IOUserNetworkLinkQuality = number;

/** Link speeds by media subtype (bit/s), for ReportLinkStatus without bandwidths. */
export function mediaSpeed(media: IOUserNetworkMediaType): number {
  switch (media & 0xff) {
    case kIOUserNetworkMediaEthernet10BaseT:
      return 10e6;
    case kIOUserNetworkMediaEthernet100BaseTX:
      return 100e6;
    case kIOUserNetworkMediaEthernet1000BaseT:
      return 1e9;
    case kIOUserNetworkMediaEthernet2500BaseT:
      return 2.5e9;
    case kIOUserNetworkMediaEthernet5000BaseT:
      return 5e9;
    case kIOUserNetworkMediaEthernet10GBaseT:
      return 10e9;
    default:
      return 0;
  }
}

/** Mirrors the hardware-assist bits of `SetHardwareAssists` (IOUserNetworkTypes.h). */
export const kIOUserNetworkHardwareAssistChecksumIPv4 = 0x0000_0001;
export const kIOUserNetworkHardwareAssistChecksumTCPv4 = 0x0000_0002;
export const kIOUserNetworkHardwareAssistChecksumUDPv4 = 0x0000_0004;
export const kIOUserNetworkHardwareAssistChecksumTCPv6 = 0x0000_0020;
export const kIOUserNetworkHardwareAssistChecksumUDPv6 = 0x0000_0040;

/** The entitlement a networking dext needs (Apple's `com.apple.developer.driverkit.family.networking`). */
export const kIOUserNetworkFamilyEntitlement = 'com.apple.developer.driverkit.family.networking';

/** Ethernet framing: the header, the VLAN tag a frame may carry, and the default payload size. */
export const kEthernetHeaderLength = 14;
export const kEthernetVLANTagLength = 4;
export const kEthernetDefaultMTU = 1500;
