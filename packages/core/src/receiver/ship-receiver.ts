import { captureClosure } from '../closure/capture-closure.js';
import { reviveClosure } from '../closure/revive-closure.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import { encode } from '../codec/codec.js';
import { NotSerializableError, SluiceError } from '../errors.js';
import type { Receiver } from './receiver.js';
import { RawSocketReceiver } from './raw-socket-receiver.js';
import { SocketReceiver } from './socket-receiver.js';

/** Receiver classes Sluice provides, revived from core rather than from the job bundle. */
const BUILTIN: Record<string, Function> = { SocketReceiver, RawSocketReceiver };

/** A receiver instance as it travels to a worker: its class name and its own fields. */
export interface ShippedReceiver {
  readonly className: string;
  readonly builtin: boolean;
  readonly fields: Record<string, { readonly fn: ShippedFunction } | { readonly value: unknown }>;
}

export function shipReceiver(r: Receiver<unknown>, operator: string): ShippedReceiver {
  const ctor = r.constructor as Function;
  const className = ctor.name;
  const builtin = BUILTIN[className] === ctor;
  const fields: ShippedReceiver['fields'] = {};
  for (const [k, v] of Object.entries(r)) {
    if (k === 'supervisor' || v === undefined) continue;
    if (typeof v === 'function') {
      fields[k] = { fn: captureClosure(v, `${operator} (${className}.${k})`) };
      continue;
    }
    try {
      encode(v);
    } catch (err) {
      throw new NotSerializableError(
        `${operator}: the receiver ${className} has a field '${k}' that cannot be sent to a worker (${(err as Error).message}). Keep plain data in receiver fields and create sockets and clients in onStart().`,
      );
    }
    fields[k] = { value: v };
  }
  return { className, builtin, fields };
}

/** Rebuild the receiver on a worker: builtin classes from core, others from the job bundle. */
export function reviveReceiver(s: ShippedReceiver, evalInScope: (src: string) => unknown): Receiver<unknown> {
  let ctor: unknown = s.builtin ? BUILTIN[s.className] : undefined;
  if (!ctor) {
    if (!/^[A-Za-z_$][\w$]*$/.test(s.className)) throw new SluiceError('SLUICE_BAD_ARGUMENT', `receiver class name '${s.className}' is not an identifier`);
    try {
      ctor = evalInScope(s.className);
    } catch {
      throw new SluiceError(
        'SLUICE_JOB_LOAD',
        `the receiver class ${s.className} is not defined at the top level of the job file; define receiver classes at module level so workers can find them`,
      );
    }
  }
  if (typeof ctor !== 'function') throw new SluiceError('SLUICE_JOB_LOAD', `${s.className} is not a class in the job bundle`);
  const r = Object.create((ctor as { prototype: object }).prototype) as Record<string, unknown>;
  for (const [k, f] of Object.entries(s.fields)) {
    r[k] = 'fn' in f ? reviveClosure(f.fn, evalInScope, () => undefined) : f.value;
  }
  return r as unknown as Receiver<unknown>;
}
