import { WireReader, WireWriter } from './wire.js';

/**
 * A small interpreter for Kafka message schemas, in the shape of the protocol's own JSON
 * descriptions (clients/src/main/resources/common/message/*.json): each field has the
 * versions it exists in and, optionally, the versions in which it may be null; versions
 * from `flexible` on use compact strings/arrays and end every struct with a tagged-field
 * section. Tagged fields are skipped on read and never written.
 *
 * Decoded messages are plain objects keyed by field name; int64 is bigint, uuid is hex,
 * bytes/records are Buffers. A field outside the version being written is left out.
 */
export type Scalar = 'int8' | 'int16' | 'int32' | 'int64' | 'uuid' | 'bool' | 'string' | 'bytes' | 'records';

export interface Field {
  readonly name: string;
  /** A scalar, or the fields of a struct. */
  readonly type: Scalar | readonly Field[];
  readonly array: boolean;
  readonly versions: readonly [number, number];
  readonly nullable?: readonly [number, number];
  readonly default?: unknown;
}

export interface MessageSchema {
  readonly apiKey: number;
  /** First flexible version (Infinity: none). */
  readonly flexible: number;
  readonly fields: readonly Field[];
}

export type Message = Record<string, unknown>;

function range(s: string): readonly [number, number] {
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), Infinity];
  const [a, b] = s.split('-');
  return [Number(a), Number(b ?? a)];
}

const within = (v: number, r: readonly [number, number] | undefined): boolean => r !== undefined && v >= r[0] && v <= r[1];

/** A scalar field: `f('name', 'int32', '0+')`; a scalar array: `f('ids', '[]int32', '0+')`. */
export function f(name: string, type: Scalar | `[]${Scalar}`, versions: string, opts: { nullable?: string; default?: unknown } = {}): Field {
  const array = type.startsWith('[]');
  return {
    name,
    type: (array ? type.slice(2) : type) as Scalar,
    array,
    versions: range(versions),
    ...(opts.nullable ? { nullable: range(opts.nullable) } : {}),
    ...(opts.default !== undefined ? { default: opts.default } : {}),
  };
}

/** An array of structs. */
export function arr(name: string, versions: string, fields: readonly Field[], opts: { nullable?: string } = {}): Field {
  return { name, type: fields, array: true, versions: range(versions), ...(opts.nullable ? { nullable: range(opts.nullable) } : {}) };
}

export function message(apiKey: number, flexible: string | null, fields: readonly Field[]): MessageSchema {
  return { apiKey, flexible: flexible === null ? Infinity : Number(flexible.replace('+', '')), fields };
}

function zero(field: Field, version: number): unknown {
  if (field.default !== undefined) return field.default;
  if (within(version, field.nullable)) return null;
  if (field.array) return [];
  switch (field.type) {
    case 'int64':
      return 0n;
    case 'uuid':
      return '0'.repeat(32);
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
    case 'records':
      return Buffer.alloc(0);
    default:
      return typeof field.type === 'string' ? 0 : {};
  }
}

function readScalar(r: WireReader, type: Scalar, flex: boolean): unknown {
  switch (type) {
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'uuid':
      return r.uuid();
    case 'bool':
      return r.int8() !== 0;
    case 'string':
      return r.string(flex);
    case 'bytes':
    case 'records':
      return r.blob(flex);
  }
}

function writeScalar(w: WireWriter, type: Scalar, flex: boolean, v: unknown): void {
  switch (type) {
    case 'int8':
      w.int8(v as number);
      return;
    case 'int16':
      w.int16(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'int64':
      w.int64(BigInt(v as bigint | number));
      return;
    case 'uuid':
      w.uuid(v as string);
      return;
    case 'bool':
      w.int8(v ? 1 : 0);
      return;
    case 'string':
      w.string(v as string | null, flex);
      return;
    case 'bytes':
    case 'records':
      w.blob(v as Buffer | null, flex);
      return;
  }
}

export function readFields(r: WireReader, fields: readonly Field[], version: number, flex: boolean): Message {
  const out: Message = {};
  for (const field of fields) {
    if (!within(version, field.versions)) {
      out[field.name] = zero(field, version);
      continue;
    }
    if (field.array) {
      const n = r.arrayLength(flex);
      if (n < 0) {
        out[field.name] = null;
        continue;
      }
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(typeof field.type === 'string' ? readScalar(r, field.type, flex) : readFields(r, field.type, version, flex));
      out[field.name] = items;
    } else if (typeof field.type === 'string') {
      out[field.name] = readScalar(r, field.type, flex);
    } else {
      out[field.name] = readFields(r, field.type, version, flex);
    }
  }
  if (flex) r.skipTags();
  return out;
}

export function writeFields(w: WireWriter, fields: readonly Field[], version: number, flex: boolean, msg: Message): void {
  for (const field of fields) {
    if (!within(version, field.versions)) continue;
    const raw = msg[field.name];
    const v = raw === undefined ? zero(field, version) : raw;
    if (field.array) {
      if (v === null) {
        w.arrayLength(-1, flex);
        continue;
      }
      const items = v as readonly unknown[];
      w.arrayLength(items.length, flex);
      for (const item of items) {
        if (typeof field.type === 'string') writeScalar(w, field.type, flex, item);
        else writeFields(w, field.type, version, flex, item as Message);
      }
    } else if (typeof field.type === 'string') {
      writeScalar(w, field.type, flex, v);
    } else {
      writeFields(w, field.type, version, flex, v as Message);
    }
  }
  if (flex) w.noTags();
}

export function decode(schema: MessageSchema, r: WireReader, version: number): Message {
  return readFields(r, schema.fields, version, version >= schema.flexible);
}

export function encode(schema: MessageSchema, w: WireWriter, version: number, msg: Message): void {
  writeFields(w, schema.fields, version, version >= schema.flexible, msg);
}
