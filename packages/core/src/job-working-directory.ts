import path from 'node:path';

/**
 * The directory a job's relative paths resolve against: the one `sluice submit` (or
 * `sluice run`) was run in, as a user expects — not the driver's own working directory,
 * which for a standing driver is wherever it was started. Sluice's file APIs
 * (sc.textFile, sc.objectFile, saveAsTextFile(s), saveAsObjectFile(s), textFileStream,
 * fileStream, binaryRecordsStream, checkpoint directories) resolve a relative path against
 * it on the driver, when the job calls them, so tasks on workers get absolute paths.
 *
 * Set once by the driver-program thread of a job before the job's module loads (each job
 * has its own thread, so its own copy of this module); unset elsewhere (this process's
 * working directory then).
 */
let base: string | undefined;

export function setJobWorkingDirectory(dir: string | undefined): void {
  base = dir !== undefined && path.isAbsolute(dir) ? dir : undefined;
}

/** Where the job's relative paths resolve (the submit's directory, else this process's working directory). */
export function jobWorkingDirectory(): string {
  return base ?? process.cwd();
}

/** `p` made absolute against the job's working directory. */
export function resolveJobPath(p: string): string {
  return path.resolve(jobWorkingDirectory(), p);
}

/** `abs` for an error message, saying how a relative `given` path came to it. */
export function describeJobPath(given: string, abs: string): string {
  return path.isAbsolute(given) ? `'${abs}'` : `'${abs}' ('${given}' relative to ${jobWorkingDirectory()}, the directory the job was submitted from)`;
}
