import type { OSValue } from '@driverkit/driverkit';
import type { IOUSBDeviceDescriptor, IOUSBInterfaceDescriptor } from '../descriptors/USBDescriptors';

/** What identifies a device on the bus, for its nubs' properties. */
export interface USBNubIdentity {
  speed: number;
  address: number;
  locationID: number;
  manufacturer?: string;
  product?: string;
  serialNumber?: string;
}

/** An IOUSBHostDevice nub's properties, with the keys Apple's registry shows (and matching reads). */
export function usbDeviceProperties(d: IOUSBDeviceDescriptor, id: USBNubIdentity): Record<string, OSValue> {
  return {
    idVendor: d.idVendor,
    idProduct: d.idProduct,
    bcdDevice: d.bcdDevice,
    bcdUSB: d.bcdUSB,
    bDeviceClass: d.bDeviceClass,
    bDeviceSubClass: d.bDeviceSubClass,
    bDeviceProtocol: d.bDeviceProtocol,
    bMaxPacketSize0: d.bMaxPacketSize0,
    bNumConfigurations: d.bNumConfigurations,
    iManufacturer: d.iManufacturer,
    iProduct: d.iProduct,
    iSerialNumber: d.iSerialNumber,
    USBSpeed: id.speed,
    'USB Address': id.address,
    locationID: id.locationID,
    ...(id.manufacturer ? { 'USB Vendor Name': id.manufacturer, kUSBVendorString: id.manufacturer } : {}),
    ...(id.product ? { 'USB Product Name': id.product, kUSBProductString: id.product } : {}),
    ...(id.serialNumber ? { 'USB Serial Number': id.serialNumber, kUSBSerialNumberString: id.serialNumber } : {}),
  };
}

/** An IOUSBHostInterface nub's properties: its descriptor, its configuration, and the device keys interface matching uses. */
export function usbInterfaceProperties(d: IOUSBDeviceDescriptor, i: IOUSBInterfaceDescriptor, configurationValue: number, id: USBNubIdentity, name?: string): Record<string, OSValue> {
  return {
    idVendor: d.idVendor,
    idProduct: d.idProduct,
    bcdDevice: d.bcdDevice,
    bConfigurationValue: configurationValue,
    bInterfaceNumber: i.bInterfaceNumber,
    bAlternateSetting: i.bAlternateSetting,
    bNumEndpoints: i.bNumEndpoints,
    bInterfaceClass: i.bInterfaceClass,
    bInterfaceSubClass: i.bInterfaceSubClass,
    bInterfaceProtocol: i.bInterfaceProtocol,
    iInterface: i.iInterface,
    USBSpeed: id.speed,
    locationID: id.locationID,
    ...(name ? { kUSBString: name } : {}),
  };
}
