// Loaded into the kinesalite process (node --import this-file cli.js ...): kinesalite's
// sequence-number and hash-key arithmetic in BigInt instead of bignumber.js, the same strings.
// kinesalite converts 56-digit decimal sequence numbers to hex and back with bignumber.js's
// base conversion, four times a record (each put: the partition key's MD5 to a hash key, the
// shard's start parsed, the record's number made; each read: its number parsed), which was
// 7.2 of its 12.7 s of CPU for kinesis-count's 100,000 records: on a loaded machine the tests
// waited on it. The actions call these through db/index.js's exports, which this replaces;
// anything but a version-2 sequence number of digits (the only kind kinesalite makes) goes to
// the original. At load, every replacement is checked against the original on numbers of
// every shape the tests make, and the process exits naming any that differs (a kinesalite
// upgrade that changed them), so the server never answers with numbers of its own making.
import { createRequire } from 'node:module';
import path from 'node:path';

interface SeqObj {
  readonly shardCreateTime: number;
  readonly seqIx?: string | number;
  readonly byte1?: string;
  readonly seqTime?: number;
  readonly seqRand?: string;
  readonly shardIx: number;
  readonly version?: number;
}
interface BigNumberLike {
  eq(other: BigNumberLike): boolean;
  toFixed(): string;
}
interface Db {
  parseSequence(seq: string): SeqObj;
  stringifySequence(obj: SeqObj): string;
  incrementSequence(seq: SeqObj | string, seqTime?: number | null): string;
  partitionKeyToHashKey(key: string): BigNumberLike;
  shardIxToHex(shardIx: number): string;
}

const require = createRequire(import.meta.url);
const kinesaliteDir = path.dirname(require.resolve('kinesalite/package.json'));
const fromKinesalite = createRequire(path.join(kinesaliteDir, 'index.js'));
const db = fromKinesalite('./db') as Db;
const BigNumber = fromKinesalite('bignumber.js') as new (value: string, base?: number) => BigNumberLike;
const md5 = (fromKinesalite('crypto') as typeof import('node:crypto')).createHash;

const original = {
  parseSequence: db.parseSequence,
  stringifySequence: db.stringifySequence,
  incrementSequence: db.incrementSequence,
  partitionKeyToHashKey: db.partitionKeyToHashKey,
};

const POW_2_124 = 2n ** 124n;
const POW_2_124_NEXT = 2n ** 129n;
const POW_2_185 = 2n ** 185n;
const POW_2_185_NEXT = POW_2_185 + POW_2_185 / 2n;
const DIGITS = /^\d{1,80}$/;
const HEX = /^[0-9a-f]+$/;

function parseSequence(seq: string): SeqObj {
  if (typeof seq !== 'string' || !DIGITS.test(seq)) return original.parseSequence(seq);
  let n = BigInt(seq);
  if (n < POW_2_124) n += POW_2_124;
  const hex = n.toString(16);
  // Version 2 only (kinesalite's own numbers); 0 and 1 are left to the original.
  if (!(n >= POW_2_124_NEXT && n > POW_2_185 && n < POW_2_185_NEXT && hex.endsWith('2'))) return original.parseSequence(seq);
  const seqIxHex = hex.slice(11, 27);
  let shardIxHex = hex.slice(38, 46);
  if (parseInt(seqIxHex[0]!, 16) > 7) throw new Error('Sequence index too high');
  if (parseInt(shardIxHex[0]!, 16) > 7) shardIxHex = '-' + shardIxHex;
  const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
  if (shardCreateSecs >= 16025175000) throw new Error('Date too large: ' + shardCreateSecs);
  return {
    shardCreateTime: shardCreateSecs * 1000,
    seqIx: BigInt('0x' + seqIxHex).toString(),
    byte1: hex.slice(27, 29),
    seqTime: parseInt(hex.slice(29, 38), 16) * 1000,
    shardIx: parseInt(shardIxHex, 16),
    version: 2,
  };
}

function stringifySequence(obj: SeqObj): string {
  const seqIx = obj.seqIx || 0;
  if (!(obj.version == null || obj.version === 2) || !(typeof seqIx === 'number' ? Number.isSafeInteger(seqIx) && seqIx >= 0 : DIGITS.test(seqIx))) {
    return original.stringifySequence(obj);
  }
  const hex = [
    '2',
    ('00000000' + Math.floor(obj.shardCreateTime / 1000).toString(16)).slice(-9),
    (obj.shardIx || 0).toString(16).slice(-1),
    ('0000000000000000' + BigInt(seqIx).toString(16)).slice(-16),
    obj.byte1 || '00',
    ('00000000' + Math.floor((obj.seqTime || obj.shardCreateTime) / 1000).toString(16)).slice(-9),
    db.shardIxToHex(obj.shardIx),
    '2',
  ].join('');
  return HEX.test(hex) ? BigInt('0x' + hex).toString() : original.stringifySequence(obj);
}

function incrementSequence(seq: SeqObj | string, seqTime?: number | null): string {
  const s = typeof seq === 'string' ? parseSequence(seq) : seq;
  return stringifySequence({ shardCreateTime: s.shardCreateTime, seqIx: s.seqIx, seqTime: seqTime || s.seqTime! + 1000, shardIx: s.shardIx });
}

function partitionKeyToHashKey(key: string): BigNumberLike {
  return new BigNumber(BigInt('0x' + md5('md5').update(key, 'utf8').digest('hex')).toString());
}

/** Each replacement against the original, on the numbers the tests make; the names of those that differ. */
function differences(): string[] {
  const bad: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) bad.push(`${what}: ${JSON.stringify(a)} where kinesalite gives ${JSON.stringify(b)}`);
  };
  const now = Date.now();
  const objs: SeqObj[] = [];
  for (const shardIx of [0, 1, 3, 7, 15, 16, 99, 2147483647]) {
    for (const seqIx of [0, 1, 7, 255, 65_536, 123_456_789, '987654321012', '9223372036854775807']) {
      objs.push({ shardCreateTime: now - 3_600_000, shardIx, seqIx, seqTime: now });
      objs.push({ shardCreateTime: now, shardIx, seqIx, seqTime: now, byte1: 'ab' });
    }
    objs.push({ shardCreateTime: now, shardIx });
  }
  for (const o of objs) {
    const s = original.stringifySequence(o);
    same(`stringifySequence(${JSON.stringify(o)})`, stringifySequence(o), s);
    same(`parseSequence(${s})`, parseSequence(s), original.parseSequence(s));
    same(`incrementSequence(${s})`, incrementSequence(s), original.incrementSequence(s));
    same(`incrementSequence(${s}, t)`, incrementSequence(original.parseSequence(s), now + 5000), original.incrementSequence(original.parseSequence(s), now + 5000));
  }
  for (const seq of ['0', '1', '49590338271490256608559692538361571095921575989136588898', '21269319989652663814458848515492872193']) {
    let a: unknown, b: unknown;
    try {
      a = parseSequence(seq);
    } catch (err) {
      a = String(err);
    }
    try {
      b = original.parseSequence(seq);
    } catch (err) {
      b = String(err);
    }
    same(`parseSequence(${seq})`, a, b);
  }
  for (let i = 0; i < 200; i++) {
    const key = i % 2 ? `k${i % 50}-${i * 7919}` : `key ${i} ü`;
    const a = partitionKeyToHashKey(key);
    const b = original.partitionKeyToHashKey(key);
    if (!a.eq(b)) bad.push(`partitionKeyToHashKey(${key}): ${a.toFixed()} where kinesalite gives ${b.toFixed()}`);
  }
  return bad;
}

const bad = differences();
if (bad.length > 0) {
  process.stderr.write(`kinesalite-sequences: the BigInt sequence arithmetic differs from this kinesalite's (${bad.length} cases); update packages/kinesis/test/support/kinesalite-sequences.ts or drop it from kinesalite.ts:\n${bad.slice(0, 5).join('\n')}\n`);
  process.exit(70);
}
Object.assign(db, { parseSequence, stringifySequence, incrementSequence, partitionKeyToHashKey });
