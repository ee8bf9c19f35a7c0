import { formatIORegProperties } from '../../ioreg/formatIORegValue';
import { OSDictionary } from '../../os/OSDictionary';
import { OSData } from '../../os/OSData';
import { OSNumber } from '../../os/OSNumber';
import { OSRequiredCast } from '../../os/OSCast';
import { kOSBooleanTrue } from '../../os/OSBoolean';
import { toOSDictionary } from '../../os/OSValue';
import { OSSerialization } from '../../serialization/OSSerialization';
import { dumpOSSerializeBinary } from '../../serialization/dumpOSSerializeBinary';
import { OSSerializeXML, OSUnserializeXML } from '../../plist/OSPropertyList';

/**
 * `driverkit demo`: exercises the core end to end on a registry-like entry (the properties a USB
 * keyboard's device nub carries on macOS): plain values to OS* objects, OSSerializeBinary and back,
 * XML property list and back, printed as ioreg prints it.
 */
export function demo(_args: string[]): number {
  const out = (s = ''): void => void process.stdout.write(`${s}\n`);
  const properties = toOSDictionary({
    IOClass: 'IOUSBHostDevice',
    IOProviderClass: 'IOUSBHostDevice',
    idVendor: 0x05ac,
    idProduct: 0x0250,
    bcdDevice: 0x0100,
    bDeviceClass: 0,
    bDeviceSubClass: 0,
    bDeviceProtocol: 0,
    bMaxPacketSize0: 8,
    bNumConfigurations: 1,
    'USB Product Name': 'Virtual Keyboard',
    'USB Vendor Name': 'DriverKit for TypeScript',
    'USB Serial Number': 'DK-0001',
    locationID: 0x01100000,
    sessionID: 0x1234_5678_9abc_def0n,
    'Device Speed': 1,
    'IOUserClientClass': 'IOUSBHostDeviceUserClient',
    IOCFPlugInTypes: { '9dc7b780-9ec0-11d4-a54f-000a27052861': 'IOUSBHostFamily.kext/Contents/PlugIns/IOUSBLib.bundle' },
    'kUSBProductString': 'Virtual Keyboard',
  });
  properties.setObject('IOGeneralInterest', kOSBooleanTrue);
  properties.setObject('DeviceDescriptor', OSData.withBytes([0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0xac, 0x05, 0x50, 0x02, 0x00, 0x01, 0x01, 0x02, 0x03, 0x01]));

  out('DriverKit for TypeScript: core demo');
  out(`Built a registry-like OSDictionary: ${properties.getCount()} properties of a USB keyboard's device nub.`);

  const serialization = OSSerialization.createFromObject(properties);
  const bytes = serialization.finalizeBuffer();
  out();
  out(`OSSerializeBinary (XNU's wire format): ${bytes.length} bytes. The first key words:`);
  for (const line of dumpOSSerializeBinary(bytes, 12)) out(`  ${line}`);

  const decoded = OSRequiredCast(OSDictionary, OSSerialization.createFromBytes(bytes).copyObject());
  const sessionID = OSRequiredCast(OSNumber, decoded.getObject('sessionID'));
  out();
  out(`Decoded again: ${decoded.getCount()} properties, equal to the original: ${decoded.isEqualTo(properties) ? 'yes' : 'NO'}`);
  out(`  sessionID kept all 64 bits: 0x${sessionID.unsigned64BitValue().toString(16)}`);

  const xml = OSSerializeXML(decoded);
  const fromXml = OSUnserializeXML(xml);
  out(`XML property list: ${xml.length} characters, read back equal: ${fromXml.isEqualTo(properties) ? 'yes' : 'NO'}`);

  out();
  out('As `ioreg -l` prints it:');
  out('+-o Virtual Keyboard@01100000  <class IOUSBHostDevice, registered, matched, active>');
  out(formatIORegProperties(decoded, '    '));
  serialization.release();
  decoded.release();
  return decoded.isEqualTo(properties) && fromXml.isEqualTo(properties) ? 0 : 1;
}
