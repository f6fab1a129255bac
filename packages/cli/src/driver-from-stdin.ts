import { SluiceError } from '@sluice/core/internal';
import { driverAddressProblem } from './driver-address.js';

/** The longest line after the address that is read (a job's bundle, base64: 4/3 of its size, and its map). */
export const MAX_LINE_BYTES = 512 * 1024 * 1024;

/**
 * `sluice worker --driver -`: the driver's address read from the first line of standard
 * input. `sluice run` starts its workers this way before its driver listens, so they load
 * their code while the driver starts, and writes them the address once it knows its port.
 * Rejects when standard input ends (or fails) before a whole line, or the line is not
 * HOST:PORT. Each whole line after it is given to `onLine` (see ParentMessages), as it comes.
 */
export function driverFromStdin(stdin: NodeJS.ReadableStream = process.stdin, onLine?: (line: string) => void, maxLineBytes: number = MAX_LINE_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    // The part of the current line read so far, as the chunks it came in (a line may be
    // a job's bundle, megabytes: only each new chunk is searched for the newline). A line
    // longer than maxLineBytes is passed over (not kept in memory) up to its newline.
    let parts: Buffer[] = [];
    let partBytes = 0;
    let overlong = false;
    let address: string | undefined;
    let reading = true;
    /** The address's line is read whole, as before; the lines after it up to maxLineBytes. */
    const limit = (): number => (address === undefined ? Infinity : maxLineBytes);
    const done = (): void => {
      reading = false;
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
    };
    const line = (text: string): void => {
      if (address !== undefined) return onLine?.(text);
      address = text.trim();
      const why = driverAddressProblem(address);
      if (why === undefined) resolve(address);
      else reject(new SluiceError('SLUICE_BAD_ARGUMENT', `--driver -: the first line of standard input must be the driver's HOST:PORT, got '${address.slice(0, 100)}': ${why}`));
      if (why !== undefined || !onLine) done();
    };
    const onData = (chunk: Buffer | string): void => {
      let rest = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let nl = rest.indexOf(0x0a); nl >= 0; nl = rest.indexOf(0x0a)) {
        const skipped = overlong || partBytes + nl > limit();
        parts.push(rest.subarray(0, nl));
        const text = skipped ? '' : Buffer.concat(parts).toString('utf8');
        parts = [];
        partBytes = 0;
        overlong = false;
        rest = rest.subarray(nl + 1);
        if (!skipped) line(text);
        if (!reading) return;
      }
      if (rest.length === 0 || overlong) return;
      partBytes += rest.length;
      if (partBytes > limit()) {
        overlong = true;
        parts = [];
      } else parts.push(rest);
    };
    const onEnd = (): void => {
      done();
      if (address === undefined) reject(new SluiceError('SLUICE_BAD_ARGUMENT', "--driver -: standard input ended before a line with the driver's HOST:PORT"));
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onEnd);
    stdin.resume();
  });
}
