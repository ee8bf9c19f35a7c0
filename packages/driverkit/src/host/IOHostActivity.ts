import { OSDictionary } from '../os/OSDictionary';
import { toOSDictionary, type OSValue } from '../os/OSValue';
import type { IOServiceHostEvent } from './IOServiceHost';

/** One driver on one provider, as the host has seen it live. */
interface DriverRecord {
  userClass: string;
  bundle: string;
  provider: string;
  providerID: bigint;
  pid: number;
  state: 'starting' | 'running' | 'crashed' | 'terminated' | 'failed' | 'gave up';
  starts: number;
  /** Starts after a crash of the driver on this provider. */
  relaunches: number;
  lastExit: string;
  since: number;
}

/** How many refusals are kept; older ones go. */
const kRefusalsKept = 100;

/**
 * What the host has seen happen, for observers such as `driverkit explore` (the socket's `activity`
 * request): each driver's life on its provider (pid, state, relaunches, why it last exited), the
 * refusals the host made with the reason it gave (an entitlement refusal names the key), and running
 * counts of user-client calls and of the calls drivers make on their providers' kernel objects.
 * Observers turn the counts into rates.
 */
export class IOHostActivity {
  readonly #drivers = new Map<string, DriverRecord>();
  readonly #refusals: Array<{ time: number; what: string; reason: string }> = [];
  readonly #counters = new Map<string, number>();
  readonly #sources = new Set<{ label: string; read: () => Record<string, number> }>();

  /** Follows the host's events (IOServiceHost.onEvent). */
  event(e: IOServiceHostEvent): void {
    if (!e.personality) {
      if (e.kind === 'gave-up') for (const r of this.#drivers.values()) if (r.providerID === e.provider.GetRegistryEntryID()) (r.state = 'gave up'), (r.lastExit = e.message);
      return;
    }
    const key = `${e.personality.bundle.bundleIdentifier}/${e.personality.userClass}@${e.provider.GetRegistryEntryID()}`;
    let r = this.#drivers.get(key);
    if (!r) {
      r = { userClass: e.personality.userClass ?? '(no IOUserClass)', bundle: e.personality.bundle.bundleIdentifier, provider: e.provider.getLocation() ? `${e.provider.getName()}@${e.provider.getLocation()}` : e.provider.getName(), providerID: e.provider.GetRegistryEntryID(), pid: 0, state: 'starting', starts: 0, relaunches: 0, lastExit: '', since: Date.now() };
      this.#drivers.set(key, r);
    }
    r.since = Date.now();
    if (e.kind === 'started') {
      if (r.state === 'crashed') r.relaunches += 1;
      r.starts += 1;
      r.state = 'running';
      r.pid = Number(/, pid (\d+)\)$/.exec(e.message)?.[1] ?? 0);
    } else if (e.kind === 'crashed') {
      r.state = 'crashed';
      r.lastExit = /died \((.*)\)$/.exec(e.message)?.[1] ?? e.message;
    } else if (e.kind === 'terminated') {
      if (r.state !== 'crashed') r.state = 'terminated';
    } else if (e.kind === 'failed') {
      r.state = 'failed';
      r.lastExit = e.message;
    }
  }

  /** The host refused something (`what`: an open, a match, a call), for `reason`. */
  refused(what: string, reason: string): void {
    this.#refusals.push({ time: Date.now(), what, reason });
    if (this.#refusals.length > kRefusalsKept) this.#refusals.shift();
  }

  /** `n` (one) more of `kind` (user-client calls, provider calls) for `name` (a service). */
  count(kind: string, name: string, n = 1): void {
    const key = `${kind}\u0000${name}`;
    this.#counters.set(key, (this.#counters.get(key) ?? 0) + n);
  }

  /**
   * Counters someone else keeps (a kernel half's frames through its queues), read when asked; returns
   * what takes them away. Their kind is `data queues`.
   */
  source(label: string, read: () => Record<string, number>): () => void {
    const s = { label, read };
    this.#sources.add(s);
    return () => void this.#sources.delete(s);
  }

  /** Everything, as the socket's `activity` request answers it. */
  toDictionary(): OSDictionary {
    const drivers: OSValue[] = [...this.#drivers.values()].map((r) => ({ ...r, providerID: `0x${r.providerID.toString(16)}` }));
    const counters: OSValue[] = [...this.#counters].map(([key, count]) => {
      const [kind, name] = key.split('\u0000') as [string, string];
      return { kind, name, count };
    });
    for (const s of this.#sources) for (const [what, count] of Object.entries(s.read())) counters.push({ kind: 'data queues', name: `${s.label} ${what}`, count });
    return toOSDictionary({ drivers, refusals: this.#refusals.map((r) => ({ ...r })), counters, time: Date.now() });
  }
}
