import { isSluiceError } from '../errors.js';

export interface UserErrorInfo {
  readonly code: string;
  readonly message: string;
  readonly stack: string;
}

const INTERNAL_FRAME = /(node:internal|node_modules\/@grpc|\/packages\/(core|driver|worker|cli)\/dist\/|\/@sluice\/)/;

/**
 * The error as the user should see it: their message, and a stack (already mapped to
 * their files by Node's source-map support) without Sluice's and Node's own frames.
 */
export function userErrorInfo(err: unknown): UserErrorInfo {
  if (!(err instanceof Error)) {
    const message = typeof err === 'string' ? err : safeString(err);
    return { code: 'SLUICE_TASK_FAILED', message, stack: `Error (non-Error value thrown): ${message}` };
  }
  const lines = (err.stack ?? `${err.name}: ${err.message}`).split('\n');
  const head: string[] = [];
  const frames: string[] = [];
  for (const l of lines) (/^\s+at /.test(l) ? frames : frames.length ? frames : head).push(l);
  const user = frames.filter((f) => !INTERNAL_FRAME.test(f));
  const stack = [...head, ...(user.length ? user : frames)].join('\n');
  return { code: isSluiceError(err) ? err.code : 'SLUICE_TASK_FAILED', message: err.message, stack };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
