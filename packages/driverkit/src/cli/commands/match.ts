import { IOHostConnection } from '../../host/IOHostConnection';
import { OSString } from '../../os/OSString';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit match --explain <entry> [--socket <path>]

Says, for one registry entry (a path such as IOService:/IOUserResources, an ID such as 0x100000012,
or a name), how each loaded personality fared: every key that passed or failed, the score, and
which personality won each match category.
`;

/** `driverkit match --explain <entry>`. */
export async function match(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['explain', 'help'], string: ['socket'] });
  const [entry] = args.positional;
  if (args.flags.help || !args.flags.explain || !entry) {
    process.stdout.write(USAGE);
    return args.flags.help ? 0 : 1;
  }
  const connection = await IOHostConnection.connect(args.values.socket as string | undefined);
  try {
    const reply = await connection.ask({ op: 'explain', entry });
    process.stdout.write(`${(reply.getObject('text') as OSString).getCStringNoCopy()}\n`);
    return 0;
  } finally {
    connection.close();
  }
}
