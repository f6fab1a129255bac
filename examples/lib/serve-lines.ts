// Standalone line generator for the docker-compose `lines` service:
//   node serve-lines.mjs [--port 9999] [--rate 1000] [--total N] [--host 0.0.0.0]
// With --total, serves exactly N lines in all (to whoever is connected) and then idles,
// after printing `all N lines served`: what the end-to-end test waits for and compares
// the printed counts with.
import { startLineServer } from './line-server.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const total = Number(arg('total', '0'));
const server = await startLineServer({
  host: arg('host', '0.0.0.0'),
  port: Number(arg('port', '9999')),
  linesPerSecond: Number(arg('rate', '1000')),
  total: total > 0 ? total : undefined,
  onAllSent: () => process.stdout.write(`all ${total} lines served\n`),
});
process.stdout.write(`serving lines on port ${server.port}\n`);
const stop = (): void => void server.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
