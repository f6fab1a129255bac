import { captureClosure } from '../closure/capture-closure.js';
import { reviveClosure } from '../closure/revive-closure.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import { encode } from '../codec/codec.js';
import { topLevelClassBinding } from '../codec/record-classes.js';
import { NotSerializableError, SluiceError } from '../errors.js';
import { revivedStorageLevel } from '../rdd/storage-level.js';
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

/**
 * The receiver as it travels. `operator` names the stream (`receiverStream(MyReceiver)`),
 * `callSite` where the job made it. Its class must be found by name in the job bundle's
 * module scope on the worker: in a thread that loaded the bundle (the driver program's),
 * a class not bound at its top level is refused here, at start(), rather than on every
 * worker it would be tried on.
 */
export function shipReceiver(r: Receiver<unknown>, operator: string, callSite?: string): ShippedReceiver {
  const ctor = r.constructor as Function;
  let className = ctor.name;
  const builtin = BUILTIN[className] === ctor;
  const where = callSite === undefined ? operator : `${operator} at ${callSite}`;
  if (!builtin) {
    const binding = topLevelClassBinding(ctor);
    if (binding === null) {
      const name = className || '(anonymous class)';
      throw new NotSerializableError(
        `${where}: the receiver class ${name} is not defined at the top level of the job file or of a module it imports (is it defined inside a function?). ` +
          `Workers create the receiver from its class, found by name in the job's module scope, so this one could never start. Move class ${name} to the top level of its module`,
      );
    }
    if (binding !== undefined) className = binding;
  }
  const fields: ShippedReceiver['fields'] = {};
  for (const [k, v] of Object.entries(r)) {
    if (k === 'supervisor' || v === undefined) continue;
    if (typeof v === 'function') {
      fields[k] = { fn: captureClosure(v, `${operator} (${className}.${k})`, callSite) };
      continue;
    }
    try {
      encode(v);
    } catch (err) {
      throw new NotSerializableError(
        `${where}: the receiver ${className} has a field '${k}' that cannot be sent to a worker (${(err as Error).message}). Keep plain data in receiver fields and create sockets and clients in onStart().`,
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
    } catch (err) {
      // The evaluation's own words say which case it is ('X is not defined', or 'Cannot access
      // 'X' before initialization' for a class the bundle's top level had not reached yet).
      throw new SluiceError(
        'SLUICE_JOB_LOAD',
        `the receiver class ${s.className} is not defined at the top level of the job file (${errorText(err)}); define receiver classes at module level so workers can find them`,
        { cause: err },
      );
    }
  }
  if (typeof ctor !== 'function') throw new SluiceError('SLUICE_JOB_LOAD', `${s.className} is not a class in the job bundle`);
  const r = Object.create((ctor as { prototype: object }).prototype) as Record<string, unknown>;
  for (const [k, f] of Object.entries(s.fields)) {
    r[k] = 'fn' in f ? reviveClosure(f.fn, evalInScope, () => undefined) : f.value;
  }
  // Receiver.storageLevel travels as its flags: the StorageLevel again (Spark's constant when it is one).
  if (s.fields.storageLevel !== undefined && 'value' in s.fields.storageLevel) r.storageLevel = revivedStorageLevel(s.fields.storageLevel.value);
  return r as unknown as Receiver<unknown>;
}

/** A thrown value's name and message ('ReferenceError: X is not defined'), or its text when it is no Error. */
function errorText(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
    const name = (err as Error).name;
    return typeof name === 'string' && name !== '' ? `${name}: ${(err as Error).message}` : (err as Error).message;
  }
  return String(err);
}
