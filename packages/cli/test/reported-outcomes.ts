import type { JobRun } from './harness.js';

/** What a fixture's `report(name, f)` (fixtures/report.ts) printed for one name: f's value, or its error. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string; code: string | null };

/**
 * The outcomes a job's fixture reported, one `R <name> <json>` line each, read from its run's
 * output. Asking for a name the fixture never reported throws with the job's end and its last
 * lines, so a test failing there says why the job stopped.
 */
export class ReportedOutcomes {
  private readonly byName = new Map<string, Outcome>();
  private run: JobRun | undefined;

  /** Reads `run`'s lines (called once the job ended). */
  read(run: JobRun): void {
    this.run = run;
    for (const l of run.lines) {
      const m = /^R (\S+) (.*)$/.exec(l);
      if (m) this.byName.set(m[1], JSON.parse(m[2]) as Outcome);
    }
  }

  /** The outcome reported as `name`, or undefined. */
  get(name: string): Outcome | undefined {
    return this.byName.get(name);
  }

  /** The outcome reported as `name`; throws if there is none. */
  outcome(name: string): Outcome {
    const o = this.byName.get(name);
    const run = this.run;
    if (!o) throw new Error(`no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
    return o;
  }

  /** The value reported as `name`; throws if it failed. */
  got<T>(name: string): T {
    const o = this.outcome(name);
    if (!o.ok) throw new Error(`'${name}' failed: ${o.code}: ${o.error}`);
    return o.value as T;
  }

  /** The error reported as `name`; throws if it gave a value. */
  failed(name: string): { error: string; code: string | null } {
    const o = this.outcome(name);
    if (o.ok) throw new Error(`'${name}' should have failed, gave ${JSON.stringify(o.value)}`);
    return o;
  }
}
