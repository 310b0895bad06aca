/**
 * Time as a task sees it: the current time, a repeating tick (the commit interval) and waits (retry backoff). The
 * system clock in production; unit tests pass a manual clock and move it themselves, so commit intervals, retries,
 * delayed messages and expiry run in microseconds.
 *
 * @module
 */

/** A clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` every `ms` until the returned function is called. */
  every(ms: number, fn: () => void): () => void;
  /** Resolves after `ms`. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    return () => clearInterval(timer);
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A clock that moves only when told (tests).
 *
 * @example
 * ```ts
 * const clock = new ManualClock(0);
 * let ticks = 0;
 * clock.every(100, () => ticks++);
 * await clock.advance(250); // ticks === 2
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: { at: number; every?: number; fn: () => void; cancelled: boolean }[] = [];

  /** @param start The time it starts at (ms since the epoch). */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  every(ms: number, fn: () => void): () => void {
    const timer = { at: this.#now + ms, every: ms, fn, cancelled: false };
    this.#timers.push(timer);
    return () => timer.cancelled = true;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.push({ at: this.#now + ms, fn: resolve, cancelled: false }));
  }

  /** Moves time forward by `ms`, running every timer that comes due, in time order, and what they start meanwhile. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    for (;;) {
      await settleMicrotasks();
      this.#timers = this.#timers.filter((timer) => !timer.cancelled);
      const due = this.#timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every === undefined) this.#timers.splice(this.#timers.indexOf(due), 1);
      else due.at += due.every;
      due.fn();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets promise callbacks (and what they schedule) run. */
async function settleMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Also lets the event loop turn once (I/O and real timers of the code under test). */
async function settle(): Promise<void> {
  await settleMicrotasks();
  await new Promise((resolve) => setTimeout(resolve, 0));
  await settleMicrotasks();
}
