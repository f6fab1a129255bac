/**
 * A job's bundle as one line of a local worker's standard input (`sluice run`'s local
 * cluster, after the driver's address): `bundle <sha256> <code, base64> <source map, base64>`.
 * The worker keeps it as if fetched (WorkerNode.offerBundle), so the job's first task there
 * does not wait for a fetch from the driver.
 */
export interface GivenBundle {
  readonly sha256: string;
  readonly code: Uint8Array;
  readonly sourceMap: string;
}

const PREFIX = 'bundle ';

/** The line (with its newline) that gives `b` to a local worker. */
export function bundleLine(b: GivenBundle): string {
  return `${PREFIX}${b.sha256} ${Buffer.from(b.code.buffer, b.code.byteOffset, b.code.byteLength).toString('base64')} ${Buffer.from(b.sourceMap, 'utf8').toString('base64')}\n`;
}

/** The bundle a line gives, or undefined when the line is not one (the worker ignores it). */
export function parseBundleLine(line: string): GivenBundle | undefined {
  if (!line.startsWith(PREFIX)) return undefined;
  const [sha256, code, map, ...more] = line.slice(PREFIX.length).split(' ');
  if (sha256 === undefined || !/^[0-9a-f]{64}$/.test(sha256) || code === undefined || map === undefined || more.length > 0) return undefined;
  return { sha256, code: Buffer.from(code, 'base64'), sourceMap: Buffer.from(map, 'base64').toString('utf8') };
}
