import { SluiceError } from '@sluice/core';
import { databaseOf } from './client-cache.js';
import { redactUrl } from './redis-options.js';

/** host:port of a Redis URL, for messages. */
export function serverOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return redactUrl(url);
  }
}

/** A command or connection handshake that got no answer within commandTimeoutMs (client-cache's TIMED_OUT, ioredis's message). */
export function timedOut(err: unknown): boolean {
  return /^Command timed out/.test((err as { message?: string } | null)?.message ?? '');
}

/**
 * The connection broke: closed or reset by the server (ioredis's messages for a connection
 * gone, and a command it aborted because of that), as opposed to a command refused or unanswered.
 */
export function closed(err: unknown): boolean {
  const e = (err ?? {}) as { code?: string; message?: string };
  return ['ECONNRESET', 'EPIPE'].includes(e.code ?? '') || /Connection is closed|Stream isn't writeable|Command aborted due to connection close/i.test(e.message ?? '');
}

/** An ioredis failure as a SluiceError naming the connector, the setting to fix and `where`. */
export function redisFailure(err: unknown, where: string, url: string, commandTimeoutMs?: number): SluiceError {
  if (err instanceof SluiceError) return err;
  const e = (err ?? {}) as { code?: string; message?: string };
  const msg = e.message ?? String(err);
  const server = serverOf(url);
  if (timedOut(err)) {
    const u = new URL(url);
    return new SluiceError(
      'SLUICE_UNREACHABLE',
      `${where}: the Redis server ${server} (url ${redactUrl(url)}) did not answer within commandTimeoutMs ${commandTimeoutMs ?? '?'} ms (${msg}): it takes connections but is stopped, overloaded or busy with a long command; check that it answers (redis-cli -h ${u.hostname} -p ${u.port || '6379'} ping), or raise commandTimeoutMs`,
      { cause: err },
    );
  }
  if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'].includes(e.code ?? '') || /connect ETIMEDOUT/i.test(msg) || closed(err)) {
    return new SluiceError('SLUICE_UNREACHABLE', `${where}: cannot reach the Redis server ${server} (url ${redactUrl(url)}): ${msg}; check the host and port in url and that the server runs`, { cause: err });
  }
  if (/DB index is out of range/i.test(msg)) {
    return new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${where}: the Redis server ${server} has no database ${databaseOf(url)} (url ${redactUrl(url)}): ${msg}; give an index below the server's \`databases\` setting (redis.conf; 16 by default, 0-15) after the port in url, or raise that setting`,
      { cause: err },
    );
  }
  if (/^NOAUTH/.test(msg) && !/^rediss?:\/\/[^/@]*:[^@/]*@/i.test(url)) {
    return new SluiceError('SLUICE_UNAUTHENTICATED', `${where}: the Redis server ${server} requires a password and url gives none (${msg}); give it in url (redis://:password@host:port, or redis://user:password@host:port with an ACL user)`, { cause: err });
  }
  if (/WRONGPASS|NOAUTH|invalid password|AUTH.*no password is set|invalid username-password/i.test(msg)) {
    return new SluiceError('SLUICE_UNAUTHENTICATED', `${where}: the Redis server ${server} refused the credentials: ${msg}; fix the password (and user) in url (redis://user:password@host:port)`, { cause: err });
  }
  return new SluiceError('SLUICE_IO', `${where}: Redis ${server}: ${msg}`, { cause: err });
}
