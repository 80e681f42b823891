/**
 * Promises kept per key: the first call for a key starts the computation and later calls share it until it
 * is `ttlMs` old (kept for good without a TTL). A computation that fails is forgotten at once, so the next
 * call starts afresh; `forget` drops a value on purpose (a failure elsewhere that a stale value may explain).
 */
export class PromiseCache<K, V> {
  private readonly entries = new Map<K, { startedAt: number; value: Promise<V> }>();

  constructor(private readonly ttlMs = Number.POSITIVE_INFINITY) {}

  get(key: K, compute: () => Promise<V>): Promise<V> {
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.startedAt < this.ttlMs) return cached.value;
    const entry = { startedAt: Date.now(), value: compute() };
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    return entry.value;
  }

  forget(key: K): void {
    this.entries.delete(key);
  }
}
