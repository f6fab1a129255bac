import { SluiceError } from '@sluice/core/internal';
import { driverAddressProblem } from './driver-address.js';

/**
 * `sluice worker --driver -`: the driver's address read from the first line of standard
 * input. `sluice run` starts its workers this way before its driver listens, so they load
 * their code while the driver starts, and writes them the address once it knows its port.
 * Rejects when standard input ends (or fails) before a whole line, or the line is not
 * HOST:PORT.
 */
export function driverFromStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (): void => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const nl = text.indexOf('\n');
      if (nl < 0) return;
      done();
      const address = text.slice(0, nl).trim();
      const why = driverAddressProblem(address);
      if (why === undefined) resolve(address);
      else reject(new SluiceError('SLUICE_BAD_ARGUMENT', `--driver -: the first line of standard input must be the driver's HOST:PORT, got '${address.slice(0, 100)}': ${why}`));
    };
    const onEnd = (): void => {
      done();
      reject(new SluiceError('SLUICE_BAD_ARGUMENT', "--driver -: standard input ended before a line with the driver's HOST:PORT"));
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.once('error', onEnd);
    stdin.resume();
  });
}
