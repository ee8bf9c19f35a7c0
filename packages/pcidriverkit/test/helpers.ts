// What the PCI tests share: waiting on a condition, never on a fixed delay.

/** Resolves once `condition` holds; fails after `ms` naming what it waited for. */
export async function waitFor(condition: () => boolean, ms = 10_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`${what} was not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
