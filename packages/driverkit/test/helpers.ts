import { IOService, IOServiceHost, OSNumber, kIOServicePowerCapabilityOff, kIOServicePowerCapabilityOn, processExists, publishedPowerState, toOSDictionary } from '../src/index';

// Helpers the tests share: waiting on a condition (never on a fixed delay) and the process table.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `condition` holds; fails after `ms` naming what it waited for. */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 15_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} was not reached within ${ms} ms`);
    await sleep(5);
  }
}

/** True while a process with this pid exists. */
export const alive = processExists;

/**
 * The SetPowerOverride scenario, the same in process and across driver processes: PowerParent (steered
 * through `nub`'s `Steer` property) asks for Off while its client PowerChild is On, overrides, lets go,
 * and follows its client down. Returns the parent's power states as the host saw them, step by step.
 */
export async function powerOverrideScenario(host: IOServiceHost, nub: IOService): Promise<Array<number | null>> {
  host.publishNub(nub);
  let parent: IOService | undefined;
  await waitFor(() => (parent = host.clientsOf(nub).get('IODefaultMatchCategory')) !== undefined, 15_000, 'PowerParent started');
  const child = () => parent!.getChildEntries().find((c): c is IOService => c instanceof IOService && publishedPowerState(c) !== null);
  await waitFor(() => child() !== undefined && publishedPowerState(child()!) === kIOServicePowerCapabilityOn, 15_000, 'PowerChild on');
  const seen: Array<number | null> = [];
  let n = 0;
  const steer = async (what: Record<string, number | boolean>, until: () => boolean) => {
    n += 1;
    nub.setProperty('Steer', toOSDictionary({ ...what, n }));
    const applied = () => (parent!.getProperty('Applied') as OSNumber | null)?.unsigned32BitValue() === n;
    await waitFor(() => applied() && until(), 15_000, `step ${n} (${JSON.stringify(what)})`);
    seen.push(publishedPowerState(parent!));
  };
  const parentIs = (s: number) => () => publishedPowerState(parent!) === s;
  // Off asked while the client is On: the client holds the provider up.
  await steer({ desire: kIOServicePowerCapabilityOff }, () => true);
  // Overridden: the provider's own request wins.
  await steer({ override: true }, parentIs(kIOServicePowerCapabilityOff));
  // Override off: the client holds it up again.
  await steer({ override: false }, parentIs(kIOServicePowerCapabilityOn));
  // The client comes down: the provider follows its own request.
  await steer({ childDesire: kIOServicePowerCapabilityOff }, parentIs(kIOServicePowerCapabilityOff));
  seen.push(publishedPowerState(child()!));
  return seen;
}
