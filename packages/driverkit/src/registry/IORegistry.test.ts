import { IORegistry, IORegistryEntry, OSDictionary, OSUnserializeXML, kIOReturnBadArgument } from '../index';

class Bus extends IORegistryEntry {}
class Device extends Bus {}

function tree() {
  const registry = new IORegistry();
  const bus = new Bus();
  bus.setName('PCI0');
  bus.setLocation('0');
  bus.attachToParent(registry.root);
  const dev = new Device();
  dev.setName('XHC');
  dev.setLocation('14');
  dev.setProperty('vendor-id', 0x8086);
  dev.attachToParent(bus);
  return { registry, bus, dev };
}

describe('IORegistry', () => {
  test('entries have unique 64-bit IDs above 2^32, paths in the IOService plane, and lookup both ways', () => {
    const { registry, bus, dev } = tree();
    expect(dev.GetRegistryEntryID()).toBeGreaterThan(0xffff_ffffn);
    expect(dev.GetRegistryEntryID()).not.toBe(bus.GetRegistryEntryID());
    expect(dev.getPath()).toBe('IOService:/PCI0@0/XHC@14');
    expect(registry.root.getPath()).toBe('IOService:/');
    expect(registry.fromPath('IOService:/PCI0@0/XHC@14')).toBe(dev);
    expect(registry.fromPath('/PCI0/XHC')).toBe(dev);
    expect(registry.fromPath('PCI0@1')).toBeNull();
    expect(() => registry.fromPath('IODeviceTree:/')).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    expect(registry.fromID(dev.GetRegistryEntryID())).toBe(dev);
    expect([...registry.entries()].map((e) => e.getName())).toEqual(['Root', 'PCI0', 'XHC']);
    expect(dev.classHierarchy()).toEqual(['Device', 'Bus', 'IORegistryEntry', 'OSObject']);
  });

  test('detaching removes the whole subtree from lookup; cycles and double parents are refused', () => {
    const { registry, bus, dev } = tree();
    expect(() => bus.attachToParent(dev)).toThrow(/already attached/);
    expect(() => registry.root.attachToParent(dev)).toThrow(/would make a cycle/);
    const other = new Bus();
    other.attachToParent(dev);
    bus.detachFromParent();
    expect(registry.fromID(dev.GetRegistryEntryID())).toBeNull();
    expect(registry.fromID(other.GetRegistryEntryID())).toBeNull();
    expect(dev.isInRegistry()).toBe(false);
  });

  test('property changes are announced with their keys', () => {
    const { registry, dev } = tree();
    const seen: string[][] = [];
    registry.listen({ propertiesChanged: (_e, keys) => seen.push(keys) });
    dev.setProperty('a', 1);
    const d = OSDictionary.withCapacity(2);
    d.setObject('b', 2);
    d.setObject('c', 'x');
    dev.setProperties(d);
    dev.removeProperty('a');
    dev.removeProperty('missing');
    expect(seen).toEqual([['a'], ['b', 'c'], ['a']]);
  });

  test('dumps as JSON and as an ioreg -a style property list', () => {
    const { registry, dev } = tree();
    dev.setProperty('sessionID', 0xffff_ffff_ffff_ffffn);
    const json = registry.toJSON();
    expect(json.children[0]!.children[0]).toMatchObject({
      name: 'XHC',
      className: 'Device',
      location: '14',
      properties: { 'vendor-id': 0x8086, sessionID: '18446744073709551615' },
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    const plist = OSUnserializeXML(registry.toPlist()) as OSDictionary;
    const pci = (plist.getObject('IORegistryEntryChildren') as unknown as { getObject(i: number): OSDictionary }).getObject(0);
    expect(pci.getObject('IORegistryEntryName')!.isEqualTo(OSUnserializeXML('<string>PCI0</string>'))).toBe(true);
  });

  test('names and locations are checked', () => {
    const e = new Bus();
    expect(() => e.setName('a/b')).toThrow(expect.objectContaining({ code: kIOReturnBadArgument }));
    expect(() => e.setName('')).toThrow(/1 to 127/);
    expect(() => e.setLocation('1/2')).toThrow(/cannot contain/);
    expect(() => e.attachToParent(new Bus())).toThrow(/not in a registry/);
  });
});
