import v8 from 'node:v8';
import { isProxy } from 'node:util/types';
import { SluiceError } from '../errors.js';

/**
 * The encoding of the small values every task carries (a task's part of its stage: its
 * parallelize slices; a result task's value and accumulator updates): the record codec's
 * (v8 serialize) for anything but small plain data, which is written here by one reused
 * writer instead. v8 serialize costs a few microseconds a call whatever the size (a
 * Serializer object, its header, a buffer), and tiny tasks make two such calls each on the
 * driver and two on the worker, thousands a second; this writer costs a fraction of that.
 *
 * Written here (first byte SMALL_TAG, where v8's encodings start with its version tag
 * 0xFF): undefined, null, booleans, numbers (-0 and NaN kept), strings (lone surrogates
 * kept), arrays without holes or extra properties, and plain objects (prototype
 * Object.prototype) of those, at most MAX_DEPTH deep, MAX_CONTAINERS arrays and objects
 * of MAX_ENTRIES entries each, SMALL_MAX_BYTES in all (v8 is faster for larger ones: a
 * hundred short strings take it a third of the time they take here), each object once (v8 keeps shared references and cycles: such a value
 * goes to v8). Anything else — Date, Map, Set, bigint, Buffer and typed arrays, class
 * instances (tagged by toWire), null-prototype objects, proxies — makes the whole value
 * go through v8, unchanged; `decodeSmall` reads both.
 *
 * Layout, little-endian: the tag, then one value: 0x00 undefined, 0x01 null, 0x02 false,
 * 0x03 true, 0x04 an int32 (4 bytes; never -0), 0x05 a float64, 0x06 a string of code
 * units below 256 (u32 length, a byte each), 0x07 any string (u32 length, UTF-16 code
 * units), 0x08 an array (u32 length, its elements), 0x09 an object (u32 count, then each
 * key as a string value and its value).
 */
export const SMALL_TAG = 0x01;
/** Larger values go to v8 (native code is faster per byte than this writer). */
export const SMALL_MAX_BYTES = 16 * 1024;
const MAX_DEPTH = 32;
const MAX_CONTAINERS = 64;
/** Elements of an array, or keys of an object, at most: longer ones (a partition's records) are faster in v8. */
const MAX_ENTRIES = 32;

const UNDEFINED = 0x00;
const NULL = 0x01;
const FALSE = 0x02;
const TRUE = 0x03;
const INT32 = 0x04;
const FLOAT64 = 0x05;
const ONE_BYTE = 0x06;
const TWO_BYTE = 0x07;
const ARRAY = 0x08;
const OBJECT = 0x09;
const NOT_ONE_BYTE = /[^\u0000-\u00ff]/;

/** Thrown inside the writer when the value is not small plain data: the caller falls back to v8. */
const NOT_SMALL = Symbol('not small');

/**
 * The one writer of this thread: its buffer is reused by every call (the bytes are copied
 * out at the end), so a call allocates only the result. Not re-entrant: a getter on an
 * encoded object that encodes again finds it busy and that inner call uses v8.
 */
class SmallWriter {
  private buf = Buffer.allocUnsafe(1024);
  private at = 0;
  private containers: object[] = [];
  busy = false;

  encode(value: unknown): Buffer | undefined {
    this.at = 0;
    this.containers.length = 0;
    this.byte(SMALL_TAG);
    try {
      this.value(value, 0);
    } catch (err) {
      if (err === NOT_SMALL) return undefined;
      throw err;
    } finally {
      this.containers.length = 0;
    }
    // An ArrayBuffer of its own, not a slice of Node's 8 KiB pool: a task thread posts
    // this result to the worker's main thread, and a structured clone copies a view's whole
    // ArrayBuffer (8 KiB into the message and out of it again for a 40-byte result).
    const out = Buffer.allocUnsafeSlow(this.at);
    this.buf.copy(out, 0, 0, this.at);
    return out;
  }

  private room(n: number): void {
    const need = this.at + n;
    if (need <= this.buf.length) return;
    if (need > SMALL_MAX_BYTES) throw NOT_SMALL;
    const next = Buffer.allocUnsafe(Math.min(SMALL_MAX_BYTES, Math.max(need, 2 * this.buf.length)));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.at++] = b;
  }

  private u32(n: number): void {
    this.room(4);
    this.buf.writeUInt32LE(n, this.at);
    this.at += 4;
  }

  private string(s: string): void {
    if (NOT_ONE_BYTE.test(s)) {
      this.room(5 + 2 * s.length);
      this.buf[this.at] = TWO_BYTE;
      this.buf.writeUInt32LE(s.length, this.at + 1);
      this.at += 5 + this.buf.write(s, this.at + 5, 'utf16le');
    } else {
      this.room(5 + s.length);
      this.buf[this.at] = ONE_BYTE;
      this.buf.writeUInt32LE(s.length, this.at + 1);
      this.at += 5 + this.buf.write(s, this.at + 5, 'latin1');
    }
  }

  private value(x: unknown, depth: number): void {
    switch (typeof x) {
      case 'undefined':
        return this.byte(UNDEFINED);
      case 'boolean':
        return this.byte(x ? TRUE : FALSE);
      case 'number':
        if ((x | 0) === x && !Object.is(x, -0)) {
          this.room(5);
          this.buf[this.at] = INT32;
          this.buf.writeInt32LE(x, this.at + 1);
          this.at += 5;
        } else {
          this.room(9);
          this.buf[this.at] = FLOAT64;
          this.buf.writeDoubleLE(x, this.at + 1);
          this.at += 9;
        }
        return;
      case 'string':
        return this.string(x);
      case 'object':
        if (x === null) return this.byte(NULL);
        return this.container(x, depth);
      default:
        // bigint, symbol, function: v8 keeps the first and rejects the others itself.
        throw NOT_SMALL;
    }
  }

  private container(x: object, depth: number): void {
    if (depth >= MAX_DEPTH || this.containers.length >= MAX_CONTAINERS || isProxy(x) || this.containers.includes(x)) throw NOT_SMALL;
    this.containers.push(x);
    const proto = Object.getPrototypeOf(x) as unknown;
    if (proto === Array.prototype) {
      const a = x as unknown[];
      const n = a.length;
      // Holes or properties beside the elements: v8 keeps them, this layout does not.
      if (n > MAX_ENTRIES || Object.keys(a).length !== n) throw NOT_SMALL;
      this.byte(ARRAY);
      this.u32(n);
      for (let i = 0; i < n; i++) this.value(a[i], depth + 1);
      return;
    }
    if (proto !== Object.prototype) throw NOT_SMALL;
    const keys = Object.keys(x);
    if (keys.length > MAX_ENTRIES) throw NOT_SMALL;
    this.byte(OBJECT);
    this.u32(keys.length);
    const o = x as Record<string, unknown>;
    for (let i = 0; i < keys.length; i++) {
      this.string(keys[i]);
      this.value(o[keys[i]], depth + 1);
    }
  }
}

const writer = new SmallWriter();

/**
 * `value` encoded: in the compact layout above when it is small plain data, else by v8
 * serialize. Either way the bytes are the whole of their ArrayBuffer (posted to another
 * thread, only they are copied).
 */
export function encodeSmall(value: unknown): Buffer {
  if (!writer.busy) {
    writer.busy = true;
    try {
      const out = writer.encode(value);
      if (out !== undefined) return out;
    } finally {
      writer.busy = false;
    }
  }
  return v8.serialize(value);
}

/** A value `encodeSmall` (or v8 serialize, or the record codec's `encode`) wrote. */
export function decodeSmall<T = unknown>(bytes: Uint8Array): T {
  if (bytes.length === 0 || bytes[0] !== SMALL_TAG) return v8.deserialize(bytes) as T;
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new SmallReader(buf);
  const v = r.value();
  if (r.at !== buf.length) throw corrupt(`its value ends at byte ${r.at} of ${buf.length}`);
  return v as T;
}

function corrupt(what: string): SluiceError {
  return new SluiceError('SLUICE_INTERNAL', `corrupt task value (compact encoding): ${what}`);
}

class SmallReader {
  at = 1;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.at + n > this.buf.length) throw corrupt(`${n} bytes wanted at byte ${this.at} of ${this.buf.length}`);
  }

  value(): unknown {
    this.need(1);
    const tag = this.buf[this.at++];
    switch (tag) {
      case UNDEFINED:
        return undefined;
      case NULL:
        return null;
      case FALSE:
        return false;
      case TRUE:
        return true;
      case INT32: {
        this.need(4);
        const x = this.buf.readInt32LE(this.at);
        this.at += 4;
        return x;
      }
      case FLOAT64: {
        this.need(8);
        const x = this.buf.readDoubleLE(this.at);
        this.at += 8;
        return x;
      }
      case ONE_BYTE:
      case TWO_BYTE:
        return this.stringAfterTag(tag);
      case ARRAY: {
        const n = this.u32();
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(this.value());
        return a;
      }
      case OBJECT: {
        const n = this.u32();
        const o: Record<string, unknown> = {};
        for (let i = 0; i < n; i++) {
          this.need(1);
          const t = this.buf[this.at++];
          if (t !== ONE_BYTE && t !== TWO_BYTE) throw corrupt(`a key's tag ${t} at byte ${this.at - 1}`);
          const k = this.stringAfterTag(t);
          // An own property named __proto__ (JSON.parse makes them) stays one: assigned, it would set the prototype.
          if (k === '__proto__') Object.defineProperty(o, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
          else o[k] = this.value();
        }
        return o;
      }
      default:
        throw corrupt(`tag ${tag} at byte ${this.at - 1}`);
    }
  }

  private u32(): number {
    this.need(4);
    const n = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return n;
  }

  private stringAfterTag(tag: number): string {
    const len = this.u32();
    const bytes = tag === ONE_BYTE ? len : 2 * len;
    this.need(bytes);
    const from = this.at;
    this.at += bytes;
    return this.buf.toString(tag === ONE_BYTE ? 'latin1' : 'utf16le', from, this.at);
  }
}
