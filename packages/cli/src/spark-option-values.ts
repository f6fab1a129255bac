import { masterUrlFor, optionValue } from './spark-master-url.js';

/** Whether `v` is a plain whole number (a count of executors, cores). */
const count = (v: string): boolean => /^\d+$/.test(v);

/**
 * spark-submit's and the standalone scripts' options whose value says which sluice command
 * line is meant: that line, with the value given (`--num-executors 3`: `sluice run --workers 3`).
 */
const FOR_VALUE: Readonly<Record<string, (value: string) => string | undefined>> = {
  '--master': (v) => masterUrlFor(v),
  '--num-executors': (v) => (count(v) ? `'sluice run --workers ${v} job.ts', or ${v} 'sluice worker' processes beside a standing driver` : undefined),
  '--executor-cores': (v) => (count(v) ? `'sluice worker --cores ${v}' ('sluice run --cores ${v}')` : undefined),
  '--total-executor-cores': (v) => (count(v) ? `e.g. 'sluice run --workers ${v} job.ts' (${v} workers of 1 core)` : undefined),
  '--executor-memory': (v) => `'sluice worker --memory ${v}'`,
  '-c': (v) => (count(v) ? `'--cores ${v}'` : undefined),
  '-m': (v) => `'--memory ${v}'`,
  '-p': (v) => `'--port ${v}'`,
  '--webui-port': (v) => `'sluice driver --web-port ${v}'`,
  '--host': (v) => `'--bind ${v}'`,
  '--kill': (v) => `'sluice stop ${v} --driver HOST:PORT'`,
  '--status': () => "'sluice jobs --driver HOST:PORT'",
};

/**
 * What the Spark option `name` in `argv` means in Sluice for the value given to it
 * (`for --num-executors 3, 'sluice run --workers 3 job.ts' ...`); undefined for an option
 * whose value does not change the answer, or with no value.
 */
export function sparkOptionValueInstead(argv: readonly string[], name: string): string | undefined {
  const forValue = FOR_VALUE[name];
  const value = forValue === undefined ? undefined : optionValue(argv, name);
  if (value === undefined || value.startsWith('-')) return undefined;
  const instead = forValue!(value);
  return instead === undefined ? undefined : `for ${name} ${value.slice(0, 100)}, ${instead}`;
}
