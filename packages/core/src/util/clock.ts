/**
 * Where time comes from. Logic never calls Date.now(): it is given a Clock, the system
 * clock in production and a ManualClock in tests that advance time without sleeping.
 */
export interface Clock {
  now(): number;
  /** Resolves once the clock reaches `time` (ms). */
  waitUntil(time: number): Promise<void>;
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /**
   * As Spark's SystemClock.waitTillTime: never before `time`. A Node timer can fire a
   * millisecond before Date.now() reaches its end (it counts from the event loop's cached
   * time), which made a batch start before its own time (a negative scheduling delay);
   * an early wake waits again for what is left.
   */
  waitUntil(time: number): Promise<void> {
    return new Promise((resolve) => {
      const wait = (): void => {
        setTimeout(() => (Date.now() >= time ? resolve() : wait()), Math.max(0, time - Date.now()));
      };
      wait();
    });
  }
}

export class ManualClock implements Clock {
  private time: number;
  private waiters: { time: number; resolve: () => void }[] = [];

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  waitUntil(time: number): Promise<void> {
    if (time <= this.time) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ time, resolve }));
  }

  advance(ms: number): void {
    this.setTime(this.time + ms);
  }

  setTime(time: number): void {
    this.time = time;
    const due = this.waiters.filter((w) => w.time <= time);
    this.waiters = this.waiters.filter((w) => w.time > time);
    for (const w of due) w.resolve();
  }
}
