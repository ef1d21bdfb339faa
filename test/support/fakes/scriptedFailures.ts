/**
 * Failures a test scripts for a fake's methods: the next `times` calls of `method` (for one key, such as
 * a subscription id, when given) throw `error` instead of doing their work. Each call takes one.
 */
export class ScriptedFailures<Method extends string> {
  private readonly scripted: { method: Method; key?: string; error: () => unknown; times: number }[] = [];

  /** The next `times` calls of `method` (about `key`, when given) throw `error` (or what it makes, when a function). */
  add(method: Method, error: unknown, options: { key?: string; times?: number } = {}): void {
    const make = typeof error === 'function' ? (error as () => unknown) : () => error;
    this.scripted.push({ method, key: options.key, error: make, times: options.times ?? 1 });
  }

  /** Throws the failure scripted for this call, if any (the first that matches, in the order they were added). */
  throwIfScripted(method: Method, key?: string): void {
    const found = this.scripted.find(
      (entry) => entry.method === method && entry.times > 0 && (entry.key === undefined || entry.key === key),
    );
    if (!found) return;
    found.times--;
    throw found.error();
  }

  clear(): void {
    this.scripted.length = 0;
  }
}
