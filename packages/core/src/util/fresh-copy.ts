// Deep copies of plain data, by walking it: captured data for each revive of a shipped
// function (revive-closure.ts), and zero values of fold and aggregate for each use
// (codec.ts's copier), where a decode of the encoded value cost about eight times as much.
import { types } from 'node:util';

/**
 * A deep copy of captured data, so each revived function has its own, as each Spark task
 * deserializes its closure anew: a task thread keeps a stage's payload decoded for all the
 * stage's tasks, and a function that changes what it captured (`seen.n++`, `list.push(x)`)
 * must not see another task's changes. References shared inside the value (and cycles) stay
 * shared in the copy. Only what capture allows as data comes here (checkPlain): plain
 * objects, arrays, Map, Set, Date, RegExp, ArrayBuffers and their views; primitives as they are.
 */
export function freshCopy(value: unknown, seen?: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const memo = (seen ??= new Map());
  const known = memo.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    // slice() copies the primitives (and keeps holes) at once; only objects are copied one by one.
    const out: unknown[] = value.slice();
    memo.set(value, out);
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (typeof v === 'object' && v !== null) out[i] = freshCopy(v, memo);
    }
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value) out.set(freshCopy(k, memo), freshCopy(v, memo));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value) out.add(freshCopy(v, memo));
    return out;
  }
  let out: object;
  if (value instanceof Date) out = new Date(value.getTime());
  else if (value instanceof RegExp) {
    const re = new RegExp(value.source, value.flags);
    re.lastIndex = value.lastIndex;
    out = re;
  } else if (value instanceof ArrayBuffer) out = value.slice(0);
  else if (ArrayBuffer.isView(value)) {
    const View = value.constructor as new (b: ArrayBuffer, offset: number, length: number) => ArrayBufferView;
    const length = value instanceof DataView ? value.byteLength : (value as unknown as { length: number }).length;
    // A view over all of its buffer copies the buffer (shared with other references to it). A view
    // over part of one copies its own bytes alone: a decoded view lies in the whole payload it was
    // decoded from (Node's deserializer makes views over its input), or a small Buffer in Node's
    // 8 KiB pool, and copying all of that for each revive cost the payload's size every task.
    const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
    const buffer = whole ? (freshCopy(value.buffer, memo) as ArrayBuffer) : (value.buffer as ArrayBuffer).slice(value.byteOffset, value.byteOffset + value.byteLength);
    const offset = whole ? value.byteOffset : 0;
    // Buffer's constructor is deprecated (and Buffer.from copies nothing from an ArrayBuffer).
    out = typeof Buffer !== 'undefined' && Buffer.isBuffer(value) ? Buffer.from(buffer, offset, length) : new View(buffer, offset, length);
  } else {
    const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null);
    memo.set(value, copy);
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      // An own "__proto__" key (JSON.parse makes one) is data: assigning it would set the prototype.
      if (key === '__proto__') Object.defineProperty(copy, key, { value: freshCopy(record[key], memo), enumerable: true, writable: true, configurable: true });
      else copy[key] = freshCopy(record[key], memo);
    }
    return copy;
  }
  memo.set(value, out);
  return out;
}

/**
 * Whether freshCopy's copy of value is what an encode and decode through the record codec
 * gives: every object in it a plain object, an array with only index keys, a Map, a Set, a
 * Date, or an instance of a class (own fields, the prototype kept, as record-classes.ts
 * rebuilds one). Anything with slots of its own (boxed primitives, errors, buffers and
 * typed arrays, promises, weak collections, subclasses of Array, Map or Set) is not, nor an
 * object of no prototype (decoded, it has Object's).
 */
export function copiesFresh(value: unknown, seen: Set<object> = new Set()): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (seen.has(value)) return true;
  seen.add(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (Array.isArray(value)) {
    if (proto !== Array.prototype) return false;
    for (const k of Object.keys(value)) if (!/^(0|[1-9][0-9]*)$/.test(k)) return false;
    for (const v of value) if (!copiesFresh(v, seen)) return false;
    return true;
  }
  if (types.isMap(value)) {
    if (proto !== Map.prototype) return false;
    for (const [k, v] of value as Map<unknown, unknown>) if (!copiesFresh(k, seen) || !copiesFresh(v, seen)) return false;
    return true;
  }
  if (types.isSet(value)) {
    if (proto !== Set.prototype) return false;
    for (const v of value as Set<unknown>) if (!copiesFresh(v, seen)) return false;
    return true;
  }
  if (types.isDate(value)) return proto === Date.prototype;
  if (types.isBoxedPrimitive(value) || types.isNativeError(value) || value instanceof Error || types.isAnyArrayBuffer(value) || types.isArrayBufferView(value)) return false;
  if (types.isRegExp(value) || types.isPromise(value) || types.isWeakMap(value) || types.isWeakSet(value) || types.isProxy(value)) return false;
  // The codec gives an object of no prototype Object's (freshCopy would keep none).
  if (proto === null) return false;
  for (const k of Object.keys(value)) if (!copiesFresh((value as Record<string, unknown>)[k], seen)) return false;
  return true;
}
