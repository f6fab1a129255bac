// In-process checks of the wire layer against bytes written out by hand from Avro's
// specification (binary encoding, IPC handshake) and Netty framing, not by avsc: the
// frame decoder fed a byte at a time; the responder's NONE/BOTH handshake, a call, a ping,
// an unknown message and trailing bytes.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { AvroResponder, ProtocolCache, ProtocolError, statusBytes } from '../src/avro-responder.js';
import { FrameError, NettyFrameDecoder } from '../src/netty-transport-codec.js';
import { CLIENT_PROTOCOL_TEXT } from './support/flume-avro-client.js';

const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
};
/** Avro long: zigzag varint. */
const long = (n: number): Buffer => {
  let z = n >= 0 ? n * 2 : -n * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
};
const str = (s: string): Buffer => Buffer.concat([long(Buffer.byteLength(s)), Buffer.from(s)]);

test('the frame decoder: packs of 0 frames, a 0-length frame and 3 frames, fed a byte at a time or at once', () => {
  const packs = [
    Buffer.concat([int32(7), int32(0)]),
    Buffer.concat([int32(8), int32(1), int32(0)]),
    Buffer.concat([int32(-9), int32(3), int32(2), Buffer.from('ab'), int32(0), int32(3), Buffer.from('cde')]),
  ];
  const stream = Buffer.concat(packs);
  const want = [
    { serial: 7, payload: '', frames: 0 },
    { serial: 8, payload: '', frames: 1 },
    { serial: -9, payload: 'abcde', frames: 3 },
  ];
  const show = (p: { serial: number; payload: Buffer; frames: number }) => ({ serial: p.serial, payload: p.payload.toString(), frames: p.frames });
  const whole = new NettyFrameDecoder(100);
  assert.deepEqual(whole.push(stream).map(show), want);
  const bytewise = new NettyFrameDecoder(100);
  const got = [];
  for (let i = 0; i < stream.length; i++) got.push(...bytewise.push(stream.subarray(i, i + 1)));
  assert.deepEqual(got.map(show), want);
  assert.equal(bytewise.pending, 0);
});

test('the frame decoder: a pack whose frames add up past the limit, a negative length', () => {
  const d = new NettyFrameDecoder(10);
  assert.throws(() => d.push(Buffer.concat([int32(1), int32(2), int32(6), Buffer.alloc(6), int32(5)])), (e: FrameError) => e.detail === 'frame length 5 exceeds maxBatchBytes 10 with the 6 bytes of the pack\'s earlier frames');
  const n = new NettyFrameDecoder(10);
  assert.throws(() => n.push(Buffer.concat([int32(1), int32(1), int32(-1)])), (e: FrameError) => e.detail === 'frame length -1 is negative');
});

test('the responder against hand-written bytes: NONE for an unknown client, then BOTH with its text; a call, a ping, an unknown message, trailing bytes', () => {
  const cache = new ProtocolCache();
  const r = new AvroResponder(cache);
  const clientHash = crypto.createHash('md5').update(CLIENT_PROTOCOL_TEXT).digest();
  // appendBatch([{ headers: { a: 'b' }, body: 'xy' }]): array block of 1, map block of 1, end markers.
  const params = Buffer.concat([long(1), long(1), str('a'), str('b'), long(0), long(2), Buffer.from('xy'), long(0)]);
  const call = Buffer.concat([Buffer.from([0]), str('appendBatch'), params]); // empty call meta, name, params
  // HandshakeRequest: clientHash (fixed 16), clientProtocol union null (index 0), serverHash (the client's guess), meta null.
  const first = r.respond(Buffer.concat([clientHash, long(0), clientHash, long(0), call]));
  assert.equal(first.kind, 'reply');
  const none = Buffer.concat((first as { frames: readonly Buffer[] }).frames);
  assert.equal(none[0], 4, 'HandshakeMatch NONE (enum index 2)');
  assert.equal(none[1], 2, 'serverProtocol: union index 1 (string)');
  const [textLen, p] = readLong(none, 2);
  const serverProtocol = JSON.parse(none.subarray(p, p + textLen).toString()) as { protocol: string; messages: Record<string, unknown> };
  assert.equal(serverProtocol.protocol, 'AvroSourceProtocol');
  assert.deepEqual(Object.keys(serverProtocol.messages).sort(), ['append', 'appendBatch']);
  assert.equal(none[p + textLen], 2, 'serverHash: union index 1 (MD5)');
  const serverHash = none.subarray(p + textLen + 1, p + textLen + 17);
  assert.deepEqual(serverHash, crypto.createHash('md5').update(none.subarray(p, p + textLen)).digest(), 'the server hash is the MD5 of its protocol text');
  assert.equal(none[p + textLen + 17], 0, 'meta null');
  assert.equal(none.length, p + textLen + 18);

  // Again with the client's protocol text (union index 1) and the learned server hash: BOTH, then the call.
  const second = r.respond(Buffer.concat([clientHash, long(1), str(CLIENT_PROTOCOL_TEXT), serverHash, long(0), call]));
  assert.equal(second.kind, 'call');
  const c = second as { message: string; events: { headers: Record<string, string>; body: Buffer }[]; head: Buffer };
  assert.equal(c.message, 'appendBatch');
  assert.deepEqual(c.events.map((e) => ({ headers: e.headers, body: e.body.toString() })), [{ headers: { a: 'b' }, body: 'xy' }]);
  // HandshakeResponse BOTH: match 0, serverProtocol null, serverHash null, meta null; then call meta {}, error flag false.
  assert.deepEqual([...c.head], [0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...statusBytes('OK'), ...statusBytes('FAILED'), ...statusBytes('UNKNOWN')], [0, 2, 4]);

  // Connected: no handshake. append({ headers: {}, body: '' }).
  const third = r.respond(Buffer.concat([Buffer.from([0]), str('append'), long(0), long(0)]));
  assert.equal(third.kind, 'call');
  assert.deepEqual([...(third as { head: Buffer }).head], [0, 0]);
  // A ping (empty message name): answered with the (empty) handshake.
  const ping = r.respond(Buffer.concat([Buffer.from([0]), str('')]));
  assert.deepEqual(ping.kind === 'reply' && Buffer.concat(ping.frames).length, 0);
  // An unknown message: an Avro system error (meta {}, flag true, union index 0, string).
  const unknown = r.respond(Buffer.concat([Buffer.from([0]), str('shutdown')]));
  assert.equal(unknown.kind, 'reply');
  const err = Buffer.concat((unknown as { frames: readonly Buffer[] }).frames);
  assert.deepEqual([...err.subarray(0, 3)], [0, 1, 0]);
  assert.match(err.subarray(4).toString(), /No message named shutdown/);
  // Trailing bytes after the parameters.
  assert.throws(() => r.respond(Buffer.concat([Buffer.from([0]), str('append'), long(0), long(0), Buffer.from([9, 9])])), (e: ProtocolError) => e.kind === 'malformed Avro request' && e.detail === '2 bytes after the append parameters');
  // A new connection of the same client: its hash is known now, so BOTH at once.
  const again = new AvroResponder(cache).respond(Buffer.concat([clientHash, long(0), serverHash, long(0), call]));
  assert.equal(again.kind, 'call');
});

function readLong(b: Buffer, pos: number): [number, number] {
  let n = 0;
  let shift = 1;
  for (;;) {
    const byte = b[pos++]!;
    n += (byte & 0x7f) * shift;
    shift *= 128;
    if ((byte & 0x80) === 0) break;
  }
  return [n % 2 === 0 ? n / 2 : -(n + 1) / 2, pos];
}
