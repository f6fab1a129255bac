/**
 * Stage progress on a terminal, as Spark's ConsoleProgressBar:
 *
 *   [Stage 3:=========================>                           (42 + 4) / 100]
 *
 * stage id, then `(completed + running) / tasks`. Drawn on stderr only when stderr is a
 * terminal, redrawn in place (`\r`) when it changes (and at least once a minute, so an
 * idle ssh session is not closed), erased before any other line is printed and at the end.
 * As Spark, only stages that have run at least half a second are shown (a job of many
 * short stages does not flicker), at most three side by side sharing the width.
 */
/** One running stage attempt (wire.StageProgress__Output fits). */
export interface StageProgressView {
  readonly stage_id: number;
  readonly num_tasks: number;
  readonly completed_tasks: number;
  readonly running_tasks: number;
  readonly submitted_ms_ago: number;
}

/** The bar for `stages` in `width` columns: Spark's layout, each stage an equal share. */
export function renderProgressBar(stages: readonly StageProgressView[], width: number): string {
  if (stages.length === 0) return '';
  const share = Math.floor(width / stages.length);
  return stages
    .map((s) => {
      const header = `[Stage ${s.stage_id}:`;
      const tail = `(${s.completed_tasks} + ${s.running_tasks}) / ${s.num_tasks}]`;
      const w = share - header.length - tail.length;
      let bar = '';
      if (w > 0) {
        const done = s.num_tasks > 0 ? Math.floor((w * s.completed_tasks) / s.num_tasks) : w;
        for (let i = 0; i < w; i++) bar += i < done ? '=' : i === done ? '>' : ' ';
      }
      return header + bar + tail;
    })
    .join('');
}

/** Running stages in words, for `sluice jobs`: `stage 3 (42 + 4) / 100`, or '-' when none runs. */
export function describeStages(stages: readonly StageProgressView[]): string {
  if (stages.length === 0) return '-';
  return stages.map((s) => `stage ${s.stage_id} (${s.completed_tasks} + ${s.running_tasks}) / ${s.num_tasks}`).join('; ');
}

/** Where the bar is drawn: process.stderr, or a stand-in in tests. */
export interface ProgressTerminal {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Running stages of the job being watched; [] when none runs or it is a streaming job. Rejections are ignored (the next poll tries again). */
export type StageSource = () => Promise<readonly StageProgressView[]> | readonly StageProgressView[];

export interface ProgressBarOptions {
  /** How often the source is asked (ms, default 200). */
  readonly intervalMs?: number;
  /** A stage shows once it has run this long (ms, default 500). */
  readonly showAfterMs?: number;
  /** Stages shown side by side at most (default 3). */
  readonly maxStages?: number;
}

/**
 * Polls a job's running stages and draws them on a terminal.
 *
 * Lifecycle: `start()` once; `clear()` before printing anything else on the terminal;
 * `stop()` at the end (idempotent), which erases the bar for good.
 * Threading: the CLI's main thread; one poll in flight at a time.
 */
export class ConsoleProgressBar {
  private timer: NodeJS.Timeout | undefined;
  /** What is on the terminal now ('' when nothing). */
  private shown = '';
  private drawnAt = 0;
  private polling = false;
  private stopped = false;
  private readonly onExit = (): void => this.clear();

  constructor(
    private readonly out: ProgressTerminal,
    private readonly source: StageSource,
    private readonly opts: ProgressBarOptions = {},
  ) {}

  /** A bar on stderr when stderr is a terminal (and `enabled`), else undefined: nothing is drawn. */
  static forStderr(source: StageSource, enabled = true): ConsoleProgressBar | undefined {
    return enabled && process.stderr.isTTY ? new ConsoleProgressBar(process.stderr, source) : undefined;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.poll(), this.opts.intervalMs ?? 200);
    this.timer.unref();
    process.once('exit', this.onExit);
  }

  /** Erase the bar (if drawn) so a line can be printed; the next poll draws it again. */
  clear(): void {
    if (this.shown === '') return;
    this.out.write(`\r${' '.repeat(this.width())}\r`);
    this.shown = '';
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    process.off('exit', this.onExit);
    this.clear();
  }

  /** Columns to draw in: one less than the terminal's, so the last column never wraps the line. */
  private width(): number {
    const cols = this.out.columns || Number(process.env.COLUMNS) || 80;
    return Math.max(10, cols - 1);
  }

  private poll(): void {
    if (this.polling || this.stopped) return;
    this.polling = true;
    void (async () => {
      try {
        const stages = await this.source();
        if (this.stopped) return;
        const showAfter = this.opts.showAfterMs ?? 500;
        const shown = stages.filter((s) => s.submitted_ms_ago >= showAfter && s.num_tasks > 0).slice(0, this.opts.maxStages ?? 3);
        this.draw(renderProgressBar(shown, this.width()));
      } catch {
        // The driver did not answer this time; the next poll asks again.
      } finally {
        this.polling = false;
      }
    })();
  }

  private draw(bar: string): void {
    if (bar === '') return this.clear();
    const now = Date.now();
    if (bar === this.shown && now - this.drawnAt < 60_000) return;
    // A shorter bar than the one shown (fewer stages) must not leave the old one's tail.
    const pad = this.shown.length > bar.length ? ' '.repeat(this.shown.length - bar.length) : '';
    this.out.write(`\r${bar}${pad}`);
    this.shown = bar;
    this.drawnAt = now;
  }
}
