import { MinHeap } from './heap.js';
import type { SimScheduler, SimTimer } from './scheduler.js';

interface Entry<T> {
  due: number;
  seq: number;
  item: T;
}

/**
 * Items that fall due at different times, served by a single timer armed for the earliest one. 10,000 devices whose
 * activations complete at 10,000 different moments cost one timer, not 10,000.
 */
export class DueQueue<T> {
  private readonly heap = new MinHeap<Entry<T>>((a, b) => a.due < b.due || (a.due === b.due && a.seq < b.seq));
  private seq = 0;
  private timer: SimTimer | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly scheduler: SimScheduler,
    /** Receives every item due at the moment the timer fires, earliest first. */
    private readonly onDue: (items: T[]) => void,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  add(delayMs: number, item: T): void {
    const due = this.scheduler.now() + Math.max(0, delayMs);
    this.heap.push({ due, seq: this.seq++, item });
    if (due < this.armedFor) this.arm();
  }

  clear(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.heap.clear();
  }

  private arm(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.heap.peek();
    this.armedFor = next?.due ?? Infinity;
    if (next === undefined) return;
    this.timer = this.scheduler.setTimeout(() => this.fire(), Math.max(0, next.due - this.scheduler.now()));
  }

  private fire(): void {
    this.timer = undefined;
    // Node may fire a real timer a fraction of a millisecond before performance.now() reaches the due time; arm()
    // then waits for the rest.
    const now = this.scheduler.now();
    const items: T[] = [];
    for (let next = this.heap.peek(); next !== undefined && next.due <= now; next = this.heap.peek()) {
      items.push((this.heap.pop() as Entry<T>).item);
    }
    this.arm();
    if (items.length > 0) this.onDue(items);
  }
}
