// Standalone MQTT publisher for the docker-compose `mqtt-lines` service (profile `mqtt`):
//   node publish-lines.cjs --url mqtt://mosquitto:1883 [--topic lines] [--rate 1000] [--total N]
// Publishes the generated lines of line-server.ts (the same sequence as the `lines`
// service), one message per line at QoS 1, `--rate` a second. With --total, publishes
// exactly N lines, prints `all N lines published` once the broker acknowledged every one
// (PUBACK), and then idles: what the end-to-end test waits for before it compares the
// counts of examples/mqtt-wordcount.ts with those lines. As any MQTT publisher, it does not
// know who subscribes: a line published while no one subscribes to the topic is gone (a
// persistent session, as the example's, keeps what arrives while its receiver is away).
import mqtt from 'mqtt';
import { lineGenerator } from './line-server.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const url = arg('url', 'mqtt://127.0.0.1:1883');
const topic = arg('topic', 'lines');
const rate = Number(arg('rate', '1000'));
const total = Number(arg('total', '0')) > 0 ? Number(arg('total', '0')) : Infinity;
if (!(rate > 0)) {
  process.stderr.write(`publish-lines: --rate must be a positive number of lines a second, not '${arg('rate', '')}'\n`);
  process.exit(2);
}
/** At most this many QoS 1 messages wait for their PUBACK at once. */
const MAX_IN_FLIGHT = 1000;
const TICK_MS = 50;

const client = mqtt.connect(url, { clientId: `publish-lines-${process.pid}-${Date.now()}`, clean: true, reconnectPeriod: 1000, connectTimeout: 10_000 });
client.on('error', (err) => process.stderr.write(`publish-lines: MQTT broker ${url}: ${err.message}\n`));
client.once('connect', () => process.stdout.write(`publishing lines to ${url} topic ${topic} at ${rate}/s${Number.isFinite(total) ? `, ${total} in all` : ''}\n`));

const next = lineGenerator();
let published = 0;
let acked = 0;
let inFlight = 0;
let debt = 0;
const timer = setInterval(() => {
  if (!client.connected) return;
  debt = Math.min(debt + (rate * TICK_MS) / 1000, rate);
  const n = Math.min(Math.floor(debt), total - published, MAX_IN_FLIGHT - inFlight);
  if (n <= 0) return;
  debt -= n;
  for (let i = 0; i < n; i++) {
    inFlight++;
    published++;
    client.publish(topic, next(), { qos: 1 }, (err) => {
      inFlight--;
      if (err) {
        process.stderr.write(`publish-lines: a line was not acknowledged: ${err.message}\n`);
        return;
      }
      acked++;
      if (acked === total) {
        clearInterval(timer);
        process.stdout.write(`all ${total} lines published\n`);
      }
    });
  }
}, TICK_MS);

const stop = (): void => {
  clearInterval(timer);
  client.end(false, {}, () => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
