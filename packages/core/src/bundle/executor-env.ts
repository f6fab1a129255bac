/**
 * A job's executor environment: Spark's `spark.executorEnv.NAME=value`, environment variables
 * every task (and receiver) of one job sees as process.env.NAME on every worker, and no other
 * job, nor the worker process itself. A worker's task threads each have their own copy of
 * process.env (worker_threads' `env` option) and serve one job at a time (SpareTaskThreads,
 * JobSandbox), so a thread bound to a job takes the job's variables over its own (`apply`) and
 * puts back what it had when the job is released (`restore`), before ThreadBaseline compares it.
 *
 * What a task thread cannot honour is refused before the job runs (`executorEnvProblem`): a
 * variable the process reads once at its start or process-wide (NODE_OPTIONS, TZ, the dynamic
 * loader's, libuv's pool size), the cluster secret's (kept from every job thread), a name that
 * is empty or not a POSIX name, and a NUL byte in a value.
 */

/** The Spark prefix of a job's executor environment variables. */
export const EXECUTOR_ENV_PREFIX = 'spark.executorEnv.';

/** A job's executor environment: name -> value. */
export type ExecutorEnv = Readonly<Record<string, string>>;

/** Variables a task thread cannot set for its job alone, and why (what to do instead follows in the message). */
const NOT_PER_JOB: Readonly<Record<string, string>> = {
  NODE_OPTIONS: "Node reads it once, when the worker process starts; give it to the workers ('NODE_OPTIONS=... sluice worker', 'NODE_OPTIONS=... sluice run')",
  NODE_EXTRA_CA_CERTS: "Node reads it once, when the worker process starts; give it to the workers ('NODE_EXTRA_CA_CERTS=FILE sluice worker')",
  NODE_ICU_DATA: "Node reads it once, when the worker process starts; give it to the workers",
  UV_THREADPOOL_SIZE: "libuv reads it once for the whole worker process; give it to the workers ('UV_THREADPOOL_SIZE=N sluice worker')",
  TZ: "the time zone is the whole worker process's (a task thread's process.env.TZ changes no Date); give it to the workers ('TZ=... sluice worker', 'TZ=... sluice run')",
  SLUICE_SECRET: 'the cluster secret is kept from every job; a job needs no secret of the cluster',
  SLUICE_SECRET_FILE: 'the cluster secret is kept from every job; a job needs no secret of the cluster',
};

/** Why `name=value` cannot be a job's executor environment variable, or undefined when it can. */
export function executorEnvProblem(name: string, value: string): string | undefined {
  const shown = name.slice(0, 100);
  if (name === '') return `${EXECUTOR_ENV_PREFIX} names no variable: give ${EXECUTOR_ENV_PREFIX}NAME=value`;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `'${shown}' is not an environment variable name a task can be given (letters, digits and _, not starting with a digit)`;
  const why = NOT_PER_JOB[name] ?? (name.startsWith('LD_') ? "the dynamic loader reads it once, when the worker process starts; give it to the workers ('" + name + "=... sluice worker')" : undefined);
  if (why !== undefined) return `${name} cannot be one job's: ${why}`;
  if (value.includes('\0')) return `the value of ${name} holds a NUL byte, which no environment variable can`;
  return undefined;
}

/**
 * Sets a job's executor environment in this thread's process.env and puts back what was there
 * before. Threading: the task thread that made it, only.
 */
export class ExecutorEnvOverlay {
  /** Each variable the job set, with this thread's value before it (undefined: it had none). */
  private readonly before = new Map<string, string | undefined>();

  /** The job's variables over this thread's (`env` empty or absent: nothing changes). */
  apply(env: ExecutorEnv | undefined): void {
    if (env === undefined) return;
    for (const [name, value] of Object.entries(env)) {
      if (!this.before.has(name)) this.before.set(name, process.env[name]);
      process.env[name] = value;
    }
  }

  /** This thread's process.env as before `apply`, for each variable it set. */
  restore(): void {
    for (const [name, value] of this.before) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.before.clear();
  }
}

/** A job's executor environment as a wire message's map carries it (empty: none). */
export function executorEnvOf(map: { readonly [name: string]: string } | undefined): ExecutorEnv | undefined {
  return map === undefined || Object.keys(map).length === 0 ? undefined : { ...map };
}
