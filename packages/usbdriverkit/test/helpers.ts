/** Polls `condition` until it holds, failing after `ms` with what it waited for (as the core's test helper does). */
export async function waitFor(condition: () => boolean | Promise<boolean>, ms = 20_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`${what} was not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
