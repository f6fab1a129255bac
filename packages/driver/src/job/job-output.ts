/** Output lines a job keeps for clients that attach again (WatchJob). */
export const KEPT_OUTPUT_LINES = 10_000;

/**
 * The last `capacity` lines a job printed, numbered from 1, so a `sluice submit` whose
 * stream broke (the driver paused, the network dropped) attaches again and goes on from
 * the last line it saw, missing none of the kept ones and repeating none.
 */
export class JobOutput {
  private readonly lines: string[] = [];
  /** Number of lines[0]. */
  private first = 1;

  constructor(private readonly capacity = KEPT_OUTPUT_LINES) {}

  /** Keep a line; returns its number. */
  append(line: string): number {
    this.lines.push(line);
    if (this.lines.length > this.capacity) {
      this.lines.shift();
      this.first++;
    }
    return this.first + this.lines.length - 1;
  }

  /** Kept lines numbered above `afterLine`, as [number, text]. */
  since(afterLine: number): [number, string][] {
    const out: [number, string][] = [];
    for (let i = Math.max(0, afterLine + 1 - this.first); i < this.lines.length; i++) out.push([this.first + i, this.lines[i]]);
    return out;
  }

  /** Number of the last line (0 before the first). */
  get lastLine(): number {
    return this.first + this.lines.length - 1;
  }
}
