import { IORegistryExplorerServer } from '../../explore/IORegistryExplorerServer';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit explore [--port <n>] [--socket <path>]

Serves the running host's registry as a web page, as IORegistryExplorer shows it: the IOService tree
(search, each entry's properties with their OSObject types, match --explain for the selected entry),
the driver processes (pid, state, relaunches, last exit), the host's refusals with the entitlement they
name, and live rates of user-client and provider calls. The page follows the host as services come
and go. It listens on 127.0.0.1 only, and answers only requests that carry the token in its URL.

  --port <n>        the port (default: any free one)
  --socket <path>   the host's socket (default: the one \`driverkit run\` uses)
`;

/** `driverkit explore`: serves the explorer until Ctrl-C. */
export async function explore(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['help'], string: ['port', 'socket'], repeatable: [] });
  if (args.flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const port = Number(args.values.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`driverkit explore: --port ${String(args.values.port)} is not a port number\n`);
    return 1;
  }
  // Listening for Ctrl-C before printing the URL: whoever reads the URL may stop us at once.
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const server = new IORegistryExplorerServer(args.values.socket as string | undefined);
    const url = await server.listen(port);
    process.stdout.write(`driverkit explore: open ${url}\n(loopback only; the token in the URL is the key. Ctrl-C stops.)\n`);
    await stopped;
    await server.close();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  return 0;
}
