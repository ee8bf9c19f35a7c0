import { OSArray } from '../os/OSArray';
import { OSDictionary } from '../os/OSDictionary';
import { OSNumber } from '../os/OSNumber';
import type { OSObject } from '../os/OSObject';
import { OSString } from '../os/OSString';
import type { IORegistryEntry } from '../registry/IORegistryEntry';

/** A service as it crosses to the other process: identity, class chain and properties. */
export interface IOServiceDescription {
  id: bigint;
  name: string;
  location: string | null;
  classes: string[];
  properties: OSDictionary;
}

/** Describes `entry` for a message. */
export function describeService(entry: IORegistryEntry): OSDictionary {
  const d = OSDictionary.withCapacity(5);
  d.setObject('id', entry.GetRegistryEntryID());
  d.setObject('name', entry.getName());
  if (entry.getLocation()) d.setObject('location', entry.getLocation()!);
  d.setObject('classes', OSArray.withObjects(entry.classHierarchy()));
  const props = entry.copyProperties();
  d.setObject('properties', props);
  props.release();
  return d;
}

/** Reads a description back, refusing one that lacks a field (the peer may be hostile or broken). */
export function readServiceDescription(d: OSObject | null): IOServiceDescription {
  if (!(d instanceof OSDictionary)) throw new TypeError('a service description must be a dictionary');
  const id = d.getObject('id');
  const name = d.getObject('name');
  const classes = d.getObject('classes');
  const properties = d.getObject('properties');
  const location = d.getObject('location');
  if (!(id instanceof OSNumber) || !(name instanceof OSString) || !(classes instanceof OSArray) || !(properties instanceof OSDictionary)) {
    throw new TypeError('a service description lacks id, name, classes or properties');
  }
  const names: string[] = [];
  for (const c of classes) if (c instanceof OSString) names.push(c.getCStringNoCopy());
  return { id: id.unsigned64BitValue(), name: name.getCStringNoCopy(), location: location instanceof OSString ? location.getCStringNoCopy() : null, classes: names, properties };
}
