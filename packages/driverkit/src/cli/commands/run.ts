import { resolve } from 'node:path';
import { IOHostSocket, defaultHostSocketPath } from '../../host/IOHostSocket';
import { findFamilyPlugins, findVirtualBench, loadFamilyPlugin, loadVirtualBench } from '../../host/IOFamilyPlugins';
import { IOClientPolicy, kIOClientPolicyDefaultPath } from '../../host/IOClientPolicy';
import { IOServiceHost } from '../../host/IOServiceHost';
import { IOUserClientRouter } from '../../host/IOUserClientRouter';
import { formatIORegTree } from '../../ioreg/formatIORegTree';
import { IOSharedMemory } from '../../memory/IOSharedMemory';
import { parseArgs } from '../parseArgs';

const USAGE = `usage: driverkit run [driver-package…] [--in-process] [--family <module>] [--socket <path>] [--client-policy <plist>] [--no-bench] [--once]

Starts the driver host with the given driver packages and every installed family's devices,
prints what matched and started, then follows services as they come and go. Ctrl-C stops it all.
  --in-process      run drivers inside the host (no crash isolation; for debugging)
  --family <module> also load this family plugin module
  --no-discover     load only the --family plugins, not every installed family's
  --no-bench        leave the packages' virtual benches out: drive real devices only
  --socket <path>   listen here (default ${defaultHostSocketPath()})
  --client-policy <plist>
                    the apps' entitlements (default ${kIOClientPolicyDefaultPath}; root-owned)
  --once            print the registry once everything has started, then stop
`;

// Ctrl-C, kill, and the terminal closing: each stops drivers in order instead of killing the host.
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** `driverkit run`: the host, in the foreground. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { boolean: ['in-process', 'once', 'help', 'no-discover', 'no-bench'], string: ['family', 'socket', 'client-policy'] });
  if (args.flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const out = (s: string) => void process.stdout.write(`${s}\n`);
  IOSharedMemory.removeStale();
  const host = new IOServiceHost({ mode: args.flags['in-process'] ? 'in-process' : 'process', log: (l) => out(`  ${l}`) });
  const socket = new IOHostSocket(host, (args.values.socket as string | undefined) ?? defaultHostSocketPath());
  const policyPath = (args.values['client-policy'] as string | undefined) ?? kIOClientPolicyDefaultPath;
  const policy = IOClientPolicy.load(policyPath);
  new IOUserClientRouter(host, socket, policy);
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      out('stopping: terminating services and driver processes…');
      host.stopMatching();
      await socket.close();
      for (const s of stops) await s();
      await host.stop();
      out('stopped.');
    })());
  // Handlers go in before the first line is printed: whoever reads that line may signal at once, and a signal
  // that finds no handler kills the host with its drivers still running. One that comes while the host starts
  // is kept until the start is done, so nothing starts after the stop; repeats change nothing.
  let signalled: (() => void) | undefined;
  const signal = new Promise<void>((r) => (signalled = r));
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    if (signals++ === 1) out(`  ${name}: already stopping (SIGKILL ends the host at once, leaving its driver processes to exit on their own)`);
    signalled!();
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);

  try {
    out(`driverkit host (pid ${process.pid}, ${host.options.mode === 'process' ? 'a process per driver server' : 'drivers in-process'})`);
    await socket.listen();
    out(`  listening on ${socket.path} (try \`driverkit ioreg -l\` in another terminal)`);
    out(`  client policy: ${policy.source ?? `none (${policyPath} does not exist): apps may open only drivers with allow-any-userclient-access`}`);
    const discovered = args.flags['no-discover'] ? [] : findFamilyPlugins([process.cwd(), cliDirectory()]).map((p) => p.modulePath);
    const plugins = [...discovered, ...((args.values.family as string[] | undefined) ?? []).map((m) => resolve(m))];
    for (const modulePath of plugins) {
      // A family that fails to load costs its own devices only; the host runs on.
      try {
        stops.push(await loadFamilyPlugin(host, modulePath));
        out(`  family plugin ${modulePath}`);
      } catch (e) {
        out(`  family plugin ${modulePath} did not load: ${(e as Error).message}`);
      }
    }
    if (plugins.length === 0) out('  no installed family package offers a host plugin: only IOResources and IOUserResources can be matched');
    for (const dir of args.positional) host.addDriverBundle(resolve(dir));
    // Driver packages may bring their devices for the virtual bench; they plug in once the families are up.
    for (const dir of args.flags['no-bench'] ? [] : args.positional) {
      const bench = findVirtualBench(resolve(dir));
      if (!bench) continue;
      try {
        stops.unshift(await loadVirtualBench(host, bench));
        out(`  virtual bench ${bench}`);
      } catch (e) {
        out(`  virtual bench ${bench} did not load: ${(e as Error).message}`);
      }
    }
    await host.whenIdle();
    out('');
    out(formatIORegTree(host.registry.toDictionary()));
    if (!args.flags.once && signals === 0) {
      out('');
      out('following services (Ctrl-C to stop)…');
      host.onEvent((e) => out(`${e.kind === 'started' ? '+' : e.kind === 'terminated' ? '-' : '!'} ${e.message}`));
      await signal;
    }
    await stop();
    return 0;
  } catch (e) {
    await stop();
    throw e;
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
  }
}

function cliDirectory(): string {
  return new URL('.', import.meta.url).pathname;
}
