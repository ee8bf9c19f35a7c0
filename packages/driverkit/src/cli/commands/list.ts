import { IOHostConnection } from '../../host/IOHostConnection';
import { OSArray } from '../../os/OSArray';
import { OSDictionary } from '../../os/OSDictionary';
import { OSNumber } from '../../os/OSNumber';
import { OSString } from '../../os/OSString';
import { formatIORegValue } from '../../ioreg/formatIORegValue';
import { parseArgs } from '../parseArgs';

// The properties that identify a device, in the order they are worth reading.
const IDENTITY = ['idVendor', 'idProduct', 'VendorID', 'ProductID', 'vendor-id', 'device-id', 'USB Product Name', 'Product', 'IOTTYDevice', 'BSD Name'];

/** `driverkit list`: the devices (nubs) the host's families discovered, and how many drivers each has. */
export async function list(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['help'], string: ['socket'] });
  if (args.flags.help) {
    process.stdout.write('usage: driverkit list [--socket <path>]\n\nLists the devices the running host discovered.\n');
    return 0;
  }
  const connection = await IOHostConnection.connect(args.values.socket as string | undefined);
  try {
    const nubs = (await connection.ask({ op: 'list' })).getObject('nubs');
    const entries = nubs instanceof OSArray ? [...nubs].filter((n): n is OSDictionary => n instanceof OSDictionary) : [];
    if (entries.length === 0) process.stdout.write('no devices: no family has published a nub (are family packages installed?)\n');
    for (const n of entries) {
      const path = (n.getObject('IORegistryEntryPath') as OSString).getCStringNoCopy();
      const cls = (n.getObject('IOObjectClass') as OSString).getCStringNoCopy();
      const drivers = (n.getObject('IOServiceMatchedCount') as OSNumber).unsigned32BitValue();
      const identity = IDENTITY.filter((k) => n.getObject(k)).map((k) => `${k}=${formatIORegValue(n.getObject(k)!)}`);
      process.stdout.write(`${path}  <${cls}>  ${drivers} driver${drivers === 1 ? '' : 's'}${identity.length ? `  ${identity.join(' ')}` : ''}\n`);
    }
    return 0;
  } finally {
    connection.close();
  }
}
