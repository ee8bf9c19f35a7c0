import { readFileSync } from 'node:fs';

/**
 * An interface's index, or null once it is gone (or going: the kernel answers EINVAL while it
 * unregisters). Tests compare by index, not name: a test running beside them may already have a new
 * interface of the same name.
 */
export function ifindexOf(name: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8').trim();
  } catch {
    return null;
  }
}
