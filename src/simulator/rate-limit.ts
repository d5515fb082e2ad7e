/** Sliding-window limit per key (ThingSpace: 100 activate requests a minute per account). */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  /** Calls refused since the last reset, per key: what a test checks to know the limit was really hit. */
  private readonly refusals = new Map<string, number>();

  /** Records a hit and returns 0, or returns the seconds until a slot frees up (nothing recorded). */
  tryAcquire(key: string, max: number, windowMs: number, now: number): number {
    const recent = (this.hits.get(key) ?? []).filter((t) => t > now - windowMs);
    if (recent.length >= max) {
      this.hits.set(key, recent);
      this.refusals.set(key, (this.refusals.get(key) ?? 0) + 1);
      const oldest = recent[0] as number;
      return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    }
    recent.push(now);
    this.hits.set(key, recent);
    return 0;
  }

  refused(key: string): number {
    return this.refusals.get(key) ?? 0;
  }

  reset(): void {
    this.hits.clear();
    this.refusals.clear();
  }
}
