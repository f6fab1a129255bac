/** Output lines a job keeps for clients that attach again (WatchJob). */
export const KEPT_OUTPUT_LINES = 10_000;

/**
 * The last `capacity` lines a job printed, numbered from 1, so a `sluice submit` whose
 * stream broke (the driver paused, the network dropped) attaches again and goes on from
 * the last line it saw, missing none of the kept ones and repeating none.
 */
export class JobOutput {
  private readonly lines: string[] = [];
  /** Whether lines[i] was printed on the program's standard error. */
  private readonly stderr: boolean[] = [];
  /** Number of lines[0]. */
  private first = 1;

  constructor(private readonly capacity = KEPT_OUTPUT_LINES) {}

  /** Keep a line (`stderr`: printed on the program's standard error); returns its number. */
  append(line: string, stderr = false): number {
    this.lines.push(line);
    this.stderr.push(stderr);
    if (this.lines.length > this.capacity) {
      this.lines.shift();
      this.stderr.shift();
      this.first++;
    }
    return this.first + this.lines.length - 1;
  }

  /** Kept lines numbered above `afterLine`, as [number, text, printed on standard error]. */
  since(afterLine: number): [number, string, boolean][] {
    const out: [number, string, boolean][] = [];
    for (let i = Math.max(0, afterLine + 1 - this.first); i < this.lines.length; i++) out.push([this.first + i, this.lines[i], this.stderr[i]]);
    return out;
  }

  /** Number of the last line (0 before the first). */
  get lastLine(): number {
    return this.first + this.lines.length - 1;
  }
}
