import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

const cli = join(__dirname, '../../../packages/driverkit/bin/driverkit.mjs');

/** `driverkit run` on a driver package, in its own process, as a user starts it. */
export class CLIHost {
  /** What the host printed, up to `keep` characters (a load test's log runs to hundreds of MiB). */
  output = '';
  /** How many bytes the host printed in all. */
  bytes = 0;

  private constructor(readonly child: ChildProcess) {}

  /** Starts the host on `bundle`, resolving once its socket answers. */
  static async start(bundle: string, socketPath: string, options: { env?: Record<string, string>; keep?: number } = {}): Promise<CLIHost> {
    const child = spawn(process.execPath, [cli, 'run', bundle, '--socket', socketPath], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    const host = new CLIHost(child);
    const keep = options.keep ?? Infinity;
    const take = (d: Buffer) => {
      host.bytes += d.length;
      if (host.output.length < keep) host.output += d;
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    for (const until = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 50))) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`the host did not start:\n${host.output}`);
      const up = await new Promise<boolean>((res) => {
        const s = connect(socketPath, () => (s.end(), res(true)));
        s.on('error', () => res(false));
      });
      if (up) return host;
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `signal` (SIGTERM: stopped as a user stops it) and waits for the process to end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill(signal);
    await exited;
  }
}
