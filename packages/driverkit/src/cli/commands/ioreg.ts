import { IOHostConnection } from '../../host/IOHostConnection';
import { formatIORegTree } from '../../ioreg/formatIORegTree';
import { OSDictionary } from '../../os/OSDictionary';
import { fromOSObject } from '../../os/OSValue';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit ioreg [-l] [-c <class>] [-n <name>] [-r] [--json] [--socket <path>]

Prints the running host's I/O registry as macOS ioreg does.
  -l          show every entry's properties
  -c <class>  show the properties of entries of this class
  -n <name>   show the properties of entries with this name
  -r          show only the subtrees rooted at entries -c or -n selects
  --json      print the tree as JSON
`;

/** `driverkit ioreg`: the registry of the host listening on the socket. */
export async function ioreg(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['l', 'r', 'json', 'help'], string: ['c', 'n', 'socket'] });
  if (args.flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const connection = await IOHostConnection.connect(args.values.socket as string | undefined);
  try {
    const reply = await connection.ask({ op: 'registry' });
    const tree = reply.getObject('registry');
    if (!(tree instanceof OSDictionary)) throw new Error('the host sent no registry');
    if (args.flags.json) {
      process.stdout.write(`${JSON.stringify(fromOSObject(tree), (_k, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v), 2)}\n`);
    } else {
      process.stdout.write(
        `${formatIORegTree(tree, {
          properties: Boolean(args.flags.l),
          className: args.values.c as string | undefined,
          name: args.values.n as string | undefined,
          rootedAtMatches: Boolean(args.flags.r),
        })}\n`,
      );
    }
    return 0;
  } finally {
    connection.close();
  }
}
