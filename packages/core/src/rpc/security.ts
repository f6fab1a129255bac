import crypto from 'node:crypto';
import fs from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { SluiceError } from '../errors.js';
import { grpcLib } from './grpc-lib.js';

export const SECRET_METADATA_KEY = 'x-sluice-secret';

/**
 * How a process proves it belongs to the cluster (a shared secret sent with every
 * call) and, optionally, the TLS files that protect the connections.
 */
export interface SecurityConfig {
  readonly secret: string;
  /** PEM files. With cert+key a server speaks TLS; with ca a client checks the server against it. */
  readonly tls?: { readonly cert?: string; readonly key?: string; readonly ca?: string };
}

/** Characters a cluster secret needs at least: 128 bits as hex (`openssl rand -hex 16`). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Refuse a secret too short to resist guessing. `source` names where it came from
 * (an environment variable, a file) so the message says what to change; the secret
 * itself is never printed.
 */
export function checkSecretStrength(secret: string, source: string): void {
  if (secret.length >= MIN_SECRET_LENGTH) return;
  throw new SluiceError(
    'SLUICE_WEAK_SECRET',
    `the cluster secret from ${source} has ${secret.length} characters; it needs at least ${MIN_SECRET_LENGTH} (128 bits). ` +
      'Make one with `openssl rand -hex 16` and give the same value to the driver, every worker and the CLI',
  );
}

/** The cluster secret from `--secret-file`, else SLUICE_SECRET_FILE, else SLUICE_SECRET; at least MIN_SECRET_LENGTH characters. */
export function resolveSecret(opts: { secretFile?: string; env?: NodeJS.ProcessEnv }): string {
  const env = opts.env ?? process.env;
  const file = opts.secretFile ?? env.SLUICE_SECRET_FILE;
  if (file) {
    let s: string;
    try {
      s = fs.readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new SluiceError('SLUICE_NO_SECRET', `cannot read the cluster secret file '${file}': ${(err as Error).message}`, { cause: err });
    }
    if (!s) throw new SluiceError('SLUICE_NO_SECRET', `the cluster secret file '${file}' is empty; fill it with \`openssl rand -hex 16 > ${file}\``);
    checkSecretStrength(s, `the file '${file}'`);
    return s;
  }
  const s = env.SLUICE_SECRET?.trim();
  if (!s) {
    throw new SluiceError(
      'SLUICE_NO_SECRET',
      'no cluster secret: set SLUICE_SECRET (or SLUICE_SECRET_FILE, or pass --secret-file) to the same value on the driver, every worker and the CLI; make one with `openssl rand -hex 16`',
    );
  }
  checkSecretStrength(s, 'SLUICE_SECRET');
  return s;
}

export function secretMetadata(secret: string): grpc.Metadata {
  const md = new (grpcLib().Metadata)();
  md.set(SECRET_METADATA_KEY, secret);
  return md;
}

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** Constant-time check of a call's secret; returns an error to send back, or undefined. */
export function checkSecret(expected: string, md: grpc.Metadata): grpc.ServiceError | undefined {
  const got = md.get(SECRET_METADATA_KEY)[0];
  if (typeof got === 'string' && crypto.timingSafeEqual(digest(got), digest(expected))) return undefined;
  const err = new Error(
    got === undefined
      ? 'refused: the call carried no cluster secret; set SLUICE_SECRET to the cluster secret'
      : 'refused: wrong cluster secret; set SLUICE_SECRET (or --secret-file) to the same value as the driver',
  ) as grpc.ServiceError;
  err.code = grpcLib().status.UNAUTHENTICATED;
  return err;
}

export function serverCredentials(cfg: SecurityConfig): grpc.ServerCredentials {
  const tls = cfg.tls;
  if (tls?.cert && tls.key) {
    return grpcLib().ServerCredentials.createSsl(tls.ca ? fs.readFileSync(tls.ca) : null, [
      { cert_chain: fs.readFileSync(tls.cert), private_key: fs.readFileSync(tls.key) },
    ]);
  }
  return grpcLib().ServerCredentials.createInsecure();
}

export function channelCredentials(cfg: SecurityConfig): grpc.ChannelCredentials {
  const tls = cfg.tls;
  if (tls?.ca || tls?.cert) return grpcLib().credentials.createSsl(tls.ca ? fs.readFileSync(tls.ca) : undefined);
  return grpcLib().credentials.createInsecure();
}

/** Environment variables that lead to the cluster secret. */
export const SECRET_ENV_VARS = ['SLUICE_SECRET', 'SLUICE_SECRET_FILE'] as const;

/**
 * The environment job code runs with (driver-program, task and receiver threads): this
 * process's, without the cluster secret or the path of its file, so neither the job nor
 * any npm package bundled into it can read them from process.env.
 */
export function jobEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const k of SECRET_ENV_VARS) delete out[k];
  return out;
}

/** Whether `host` (an IP or a name, IPv6 with or without brackets) only reaches this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/**
 * Whether a listener on `host` with `cfg` is plaintext (no TLS certificate) on an
 * address other machines can reach, where the cluster secret and every record travel
 * in clear. A server warns with PLAINTEXT_WARNING and PLAINTEXT_HINT when it is.
 */
export function isPlaintextExposed(host: string, cfg: SecurityConfig): boolean {
  return !(cfg.tls?.cert && cfg.tls.key) && !isLoopbackHost(host);
}

export const PLAINTEXT_WARNING = 'plaintext listener on a non-loopback address: the cluster secret and all data travel in clear to anyone who can reach it';
export const PLAINTEXT_HINT =
  'pass --tls-cert and --tls-key (and --tls-ca to the clients), or --bind 127.0.0.1; plaintext is acceptable only on a network nobody else can reach, such as a Docker Compose network whose ports are published on 127.0.0.1 only';
