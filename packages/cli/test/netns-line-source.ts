// A TCP source of numbered lines for the network-namespace test, run as its own process
// inside a namespace (`ip netns exec NS node netns-line-source.js HOST PORT`): the test's
// own process cannot listen on a namespace's address. Line k is `lineText(k)`. Driven
// over stdin, reporting on stdout:
//   stdin `start N MS`  write N lines every MS ms to the newest connection
//   stdin `stop`        stop writing; prints `STOPPED <lines sent>`
//   stdout `CONN <i>`   connection i (0, 1, ...) was accepted
//   stdout `SENT <n>`   n lines written so far (after each tick that wrote some)
import net from 'node:net';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORDS = 23;

/** Line k: its number, then three words that follow from k alone (so the test can count them itself). */
export function lineText(k: number): string {
  return `n${k} w${(k * 7 + 3) % WORDS} w${(k * k + 1) % WORDS} w${(k * 13 + 5) % WORDS}`;
}

function main(host: string, port: number): void {
  const conns: net.Socket[] = [];
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    conns.push(s);
    process.stdout.write(`CONN ${conns.length - 1}\n`);
  });
  server.listen(port, host, () => process.stdout.write('LISTENING\n'));
  readline.createInterface({ input: process.stdin }).on('line', (cmd) => {
    const [verb, a, b] = cmd.trim().split(' ');
    if (verb === 'start' && timer === undefined) {
      timer = setInterval(() => {
        const s = conns[conns.length - 1];
        if (s === undefined || s.destroyed) return;
        const out: string[] = [];
        for (let i = 0; i < Number(a); i++) out.push(lineText(sent++));
        s.write(out.join('\n') + '\n');
        process.stdout.write(`SENT ${sent}\n`);
      }, Number(b));
    } else if (verb === 'stop') {
      clearInterval(timer);
      process.stdout.write(`STOPPED ${sent}\n`);
    }
  });
  // The test closed our stdin (it ended or died): go too.
  process.stdin.on('end', () => {
    for (const c of conns) c.destroy();
    server.close();
    process.exit(0);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv[2], Number(process.argv[3]));
