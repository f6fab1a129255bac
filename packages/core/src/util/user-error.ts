import { TaskFailedError, isSluiceError } from '../errors.js';
import { DRIVER_STACKTRACE } from './cause-from-stack.js';

export interface UserErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly stack: string;
}

/**
 * A frame of Sluice's, gRPC's or Node's (node:internal/..., and Node's public modules:
 * `AsyncLocalStorage.run (node:async_hooks:346:14)`). Sluice's own tests (dist/test) play the
 * user: their functions' frames are the user's.
 */
const INTERNAL_FRAME = /((\(|\bat )node:|node_modules\/@grpc|\/packages\/(core|driver|worker|cli)\/dist\/(?!test\/)|\/@sluice\/)/;

/** Frames shown of a stack none of whose frames is the user's. */
const INTERNAL_FRAMES_SHOWN = 10;

/** How deep a chain of causes (`err.cause`) goes into a task's stack. */
const MAX_CAUSES = 8;

/**
 * The error as the user should see it: their message, and a stack (already mapped to
 * their files by Node's source-map support) without Sluice's and Node's own frames. An
 * error's causes (`err.cause`, Errors each) follow its stack as Java's do, each as
 * `Caused by: <name>: <message>` and its frames, so the driver can rebuild the chain
 * (cause-from-stack.ts), as Spark sends the task's exception with its causes.
 */
export function userErrorInfo(err: unknown): UserErrorInfo {
  if (!(err instanceof Error)) {
    const message = typeof err === 'string' ? err : safeString(err);
    return { code: 'SLUICE_TASK_FAILED', message, stack: `Error (non-Error value thrown): ${message}` };
  }
  const parts = [userStack(err)];
  const seen = new Set<unknown>([err]);
  // A stack that already holds `Caused by:` lines was written by this function (a task's
  // stack a TaskFailedError carries, a failed batch's that batchFailure copied): its causes
  // are there, and the error's `cause` chain is the same errors again.
  for (let c = err.cause; c instanceof Error && !seen.has(c) && parts.length <= MAX_CAUSES && !hasCauses(parts[parts.length - 1]!); c = c.cause) {
    seen.add(c);
    parts.push(`Caused by: ${userStack(c)}`);
  }
  // A failed job's error: the program's frames where it called the action, after the task's
  // error and its causes, as Spark prints a SparkException's "Driver stacktrace:".
  const driver = err instanceof TaskFailedError ? err.driverStack?.split('\n').filter((f) => !INTERNAL_FRAME.test(f)) : undefined;
  if (driver !== undefined && driver.length > 0) parts.push([DRIVER_STACKTRACE, ...driver].join('\n'));
  return { code: isSluiceError(err) ? err.code : 'SLUICE_TASK_FAILED', message: err.message, stack: parts.join('\n') };
}

/** One error's `name: message` and its frames outside Sluice and Node (all of them when none is the user's). */
function userStack(err: Error): string {
  const head: string[] = [];
  const frames: string[] = [];
  // A failed job's error's driver frames follow its causes (userErrorInfo): not here.
  const lines = (err instanceof TaskFailedError ? err.userStack : (err.stack ?? '')).split('\n');
  // The frames from the first `at` line on, or from a `Caused by:` line (a stack written by
  // userErrorInfo, whose first error kept no frame of its own) when that comes first.
  for (const l of lines) (/^\s+at |^Caused by: /.test(l) ? frames : frames.length ? frames : head).push(l);
  // The header as the error is now (a subclass may set its name after Error captured the stack).
  const header = `${errorClassName(err)}: ${err.message}`;
  const user = frames.filter((f) => !INTERNAL_FRAME.test(f));
  if (user.length) return [header, ...user].join('\n');
  // None is the user's: Sluice's own, as many as V8 keeps by default (a driver program's
  // stack is deeper, for the user's frames under Sluice's).
  let kept = 0;
  return [header, ...frames.filter((f) => !/^\s+at /.test(f) || ++kept <= INTERNAL_FRAMES_SHOWN)].join('\n');
}

/** The built-in error classes' prototypes: a `name` found on one is inherited, not set by the error's own class. */
const BUILTIN_ERROR_PROTOTYPES: ReadonlySet<object> = new Set([Error, TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError, AggregateError].map((c) => c.prototype as object));

/**
 * The class an error's header names: its `name`, but for a subclass that sets no name of its own
 * (`class QuotaExceeded extends Error {}`), whose `name` is its built-in base's (`Error`), its
 * class's name, as Spark's message names the exception's class (Throwable.toString) and Node's
 * util.inspect shows it (`QuotaExceeded [Error]: ...`). A name set anywhere in its own classes
 * (a field, the constructor, a prototype getter such as DOMException's) is kept.
 */
export function errorClassName(err: Error): string {
  let owner: object | null = err;
  while (owner !== null && !Object.hasOwn(owner, 'name')) owner = Object.getPrototypeOf(owner) as object | null;
  const ctor: unknown = (err as { constructor?: unknown }).constructor;
  if (owner === null || !BUILTIN_ERROR_PROTOTYPES.has(owner) || typeof ctor !== 'function') return err.name;
  const cls = (ctor as { name?: unknown }).name;
  return typeof cls === 'string' && /^[A-Za-z_$][\w$]*$/.test(cls) && (ctor as { prototype?: unknown }).prototype !== owner ? cls : err.name;
}

/** Whether a stack written by userErrorInfo names causes (V8 never writes `Caused by:`). */
function hasCauses(stack: string): boolean {
  return stack.includes('\nCaused by: ');
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/**
 * A failure as Spark Streaming's listener, REST API and UI carry it (OutputOperationInfo's
 * failureReason, Utils.exceptionString(e)): the error's message, then its stack's frames and
 * causes (userErrorInfo's `stack` after its `Name: message` header). The first line stays the
 * message's, so the Streaming UI's "Failed due to error: <first line>" reads as the message;
 * Spark's starts with the exception's class name, which a JavaScript error's message does not.
 */
export function failureReason(info: { readonly message: string; readonly stack: string }): string {
  const at = info.message === '' ? -1 : info.stack.indexOf(info.message);
  const rest = at < 0 ? `\n${info.stack}` : info.stack.slice(at + info.message.length);
  return rest.trim() === '' ? info.message : `${info.message}${rest}`;
}

/**
 * The class of a failed task's error, the JS analogue of Spark's ExceptionFailure.className:
 * the name its stack opens with, as userErrorInfo writes it (`TypeError` of `TypeError: x is
 * not a function`), for an error that is not Sluice's own (`code` SLUICE_TASK_FAILED: an
 * Error the user's code, Node or a library threw; a SluiceError names itself by its code).
 * Undefined for a thrown value that is no Error (it has no class; its stack opens
 * `Error (non-Error value thrown): `) and for a failure Sluice reported without a stack.
 */
export function taskErrorClass(code: string, message: string, stack: string): string | undefined {
  if (code !== 'SLUICE_TASK_FAILED') return undefined;
  const name = /^[A-Za-z_$][\w$]*/.exec(stack)?.[0];
  if (name === undefined) return undefined;
  const rest = stack.slice(name.length);
  return (message === '' ? /^:? ?(\n|$)/.test(rest) : rest.startsWith(`: ${message}`)) ? name : undefined;
}

/**
 * A failed task's error as Spark's TaskFailedReason.toErrorString opens it
 * (`java.lang.RuntimeException: boom`): its class and message as Error.prototype.toString
 * writes them (`TypeError: x is not a function`, `Error` for one with no message); one with
 * no class (taskErrorClass), its message alone.
 */
export function taskErrorString(className: string | undefined, message: string): string {
  if (className === undefined) return message;
  return message === '' ? className : `${className}: ${message}`;
}

/**
 * Spark's ExceptionFailure.toErrorString in JS: taskErrorString, then the stack's frames (and
 * causes) below its header; one with no class, its message alone.
 */
export function taskErrorStringWithStack(className: string | undefined, message: string, stack: string): string {
  const head = taskErrorString(className, message);
  if (className === undefined) return head;
  const frames = stack.split('\n').slice(`${className}: ${message}`.split('\n').length);
  return [head, ...frames].join('\n');
}

/**
 * Spark's ExecutorLostFailure.toErrorString for a task whose worker was lost (the executor id is
 * the worker's id): `ExecutorLostFailure (executor w exited unrelated to the running tasks)
 * Reason: worker w was lost`. Sluice does not count a lost worker against its tasks, as Spark
 * with exitCausedByApp false, so the exit is always "unrelated to the running tasks".
 */
export function executorLostErrorString(workerId: string): string {
  return `ExecutorLostFailure (executor ${workerId} exited unrelated to the running tasks) Reason: ${workerLostReason(workerId)}`;
}

/**
 * Spark's FetchFailed.toErrorString for a task that could not read a shuffle's map output:
 * `FetchFailed(BlockManagerId(w, 127.0.0.1, 7078, None), shuffleId=0, mapIndex=3, mapId=3,
 * reduceId=1, message=\n<message>\n)`. The block manager is the worker that held the output
 * (its id, host and port; `null` when its address is not known, as Spark's for no address);
 * Sluice keeps one output per map partition, so its map id is the map partition; reduceId is
 * the task's partition.
 */
export function fetchFailedErrorString(f: { readonly workerId: string; readonly address: string | undefined; readonly shuffleId: number; readonly mapPartition: number; readonly reduceId: number; readonly message: string }): string {
  const colon = f.address?.lastIndexOf(':') ?? -1;
  const bm = f.address === undefined || colon < 0 ? 'null' : `BlockManagerId(${f.workerId}, ${f.address.slice(0, colon)}, ${f.address.slice(colon + 1)}, None)`;
  return `FetchFailed(${bm}, shuffleId=${f.shuffleId}, mapIndex=${f.mapPartition}, mapId=${f.mapPartition}, reduceId=${f.reduceId}, message=\n${f.message}\n)`;
}

/** Spark's Resubmitted.toErrorString: a successful shuffle map task whose worker was lost while its stage ran. */
export const RESUBMITTED_ERROR_STRING = 'Resubmitted (resubmitted due to lost executor)';

/** Spark's TaskKilled.toErrorString: `TaskKilled (another attempt succeeded)`. */
export function taskKilledErrorString(reason: string): string {
  return `TaskKilled (${reason})`;
}

/** Why a task's worker was lost, as ExecutorLostFailure's reason (and the listener's `error`). */
export function workerLostReason(workerId: string): string {
  return `worker ${workerId} was lost`;
}
