// Helpers the tests share: waiting on a condition (never on a fixed delay) and the process table.

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `condition` holds; fails after `ms` naming what it waited for. */
export async function waitFor(condition: () => boolean, ms = 15_000, what = 'the condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`${what} was not reached within ${ms} ms`);
    await sleep(5);
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
