// Real `sluice driver` / `sluice worker` processes for tests that talk to them with a raw
// gRPC client, and what such tests read about them (address, memory, log lines).
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, loadProto, secretMetadata } from '@sluice/core/internal';
import { CLI_BIN, freePort, within } from './harness.js';

export function randomSecret(): string {
  return crypto.randomBytes(16).toString('hex');
}

export interface SluiceProcess {
  readonly child: ChildProcess;
  /** Every stderr line (pino JSON) so far. */
  readonly logLines: string[];
  stop(): Promise<void>;
}

/** Spawn `sluice <args>` with `secret`; resolves once a stderr line matches `ready`. */
export async function spawnSluice(args: readonly string[], secret: string, ready: RegExp, extraEnv: NodeJS.ProcessEnv = {}, cwd?: string): Promise<SluiceProcess> {
  const child = spawn(process.execPath, [CLI_BIN, ...args], {
    cwd,
    env: { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '', ...extraEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logLines: string[] = [];
  let partial = '';
  let readyResolve: () => void = () => undefined;
  const isReady = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    child.once('exit', (code) => reject(new Error(`sluice ${args[0]} exited (${code}) before it was ready:\n${logLines.join('\n')}`)));
  });
  child.stderr!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    for (const l of parts) {
      logLines.push(l);
      if (ready.test(l)) readyResolve();
    }
  });
  // 'close': the process exited and its stderr is read to the end.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.kill('SIGTERM');
      await closed;
      clearTimeout(t);
    }
    await closed;
  };
  try {
    // 60 s: `sluice run` recovering from a checkpoint passed 30 s at load 35 (CI beside four
    // engineers' work); a process that never gets ready fails here with its log.
    await within(isReady, 60_000, `sluice ${args[0]} to start`);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; its log (the last 40 lines):\n${logLines.slice(-40).join('\n')}`, { cause: err });
  }
  return { child, logLines, stop };
}

/** A driver process on a free loopback port. */
export async function startDriverProcess(secret: string, extraArgs: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<SluiceProcess & { readonly address: string }> {
  const port = await freePort();
  const p = await spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', ...extraArgs], secret, /driver listening/, extraEnv);
  return { ...p, address: `127.0.0.1:${port}` };
}

/** A worker process registered with `driver`; its address is read back from the driver. */
export async function startWorkerProcess(driver: string, secret: string, extraArgs: readonly string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<SluiceProcess & { readonly address: string }> {
  const p = await spawnSluice(['worker', '--driver', driver, '--cores', '1', '--log-level', 'info', ...extraArgs], secret, /worker registered/, extraEnv);
  const line = p.logLines.find((l) => l.includes('worker registered'))!;
  return { ...p, address: (JSON.parse(line) as { address: string }).address };
}

/** Peak resident memory of a process (VmHWM), in bytes. */
export function peakRssBytes(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

/** Current resident memory of a process (VmRSS), in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]) * 1024;
}

export type ServiceName = 'Driver' | 'Worker';

/** A plain grpc-js client of one Sluice service, without any of Sluice's client code. */
export function rawClient(service: ServiceName, address: string): grpc.Client {
  const ctor = loadProto().sluice.v1[service] as unknown as grpc.ServiceClientConstructor;
  return new ctor(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** The RPC names of a service, from the .proto. */
export function rpcNames(service: ServiceName): string[] {
  return Object.keys((loadProto().sluice.v1[service] as unknown as grpc.ServiceClientConstructor).service);
}

export type Secret = { readonly kind: 'none' } | { readonly kind: 'value'; readonly value: string };

export function metadataWith(secret: Secret): grpc.Metadata {
  return secret.kind === 'none' ? new grpc.Metadata() : secretMetadata(secret.value);
}

/**
 * Call `rpc` on `client` with `request` whatever its streaming shape, and resolve with
 * the status it ends with (OK when it ends without an error).
 */
export function callStatus(client: grpc.Client, service: ServiceName, rpc: string, request: object, md: grpc.Metadata, timeoutMs = 30_000): Promise<{ code: grpc.status; details: string }> {
  const def = (loadProto().sluice.v1[service] as unknown as grpc.ServiceClientConstructor).service[rpc];
  const deadline = Date.now() + timeoutMs;
  const method = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[rpc].bind(client);
  return new Promise((resolve) => {
    const done = (err: grpc.ServiceError | null): void => resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '' });
    if (!def.requestStream && !def.responseStream) {
      method(request, md, { deadline }, (err: grpc.ServiceError | null) => done(err));
    } else if (!def.requestStream) {
      const call = method(request, md, { deadline }) as grpc.ClientReadableStream<unknown>;
      call.on('data', () => undefined);
      call.on('error', (err: grpc.ServiceError) => done(err));
      call.on('end', () => done(null));
    } else if (!def.responseStream) {
      const call = method(md, { deadline }, (err: grpc.ServiceError | null) => done(err)) as grpc.ClientWritableStream<unknown>;
      call.write(request);
      call.end();
    } else {
      const call = method(md, { deadline }) as grpc.ClientDuplexStream<unknown, unknown>;
      call.on('data', () => undefined);
      call.on('error', (err: grpc.ServiceError) => done(err));
      call.on('end', () => done(null));
      call.write(request);
      call.end();
    }
  });
}

/** Resolves once `p` has exited (at once if it has). */
export function exited(p: SluiceProcess): Promise<void> {
  return new Promise<void>((r) => (p.child.exitCode !== null || p.child.signalCode !== null ? r() : p.child.once('exit', () => r())));
}

/** `err` (a fault test's set-up failing) with the last job lines, warnings and errors each of `procs` logged. */
export function withProcessLogs(err: unknown, procs: readonly SluiceProcess[]): Error {
  const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-30).map((l) => `[${i}] ${l}`));
  return new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
}

/** The shared poll to a deadline (harness.ts), here too for the process tests that import it from here. */
export { pollUntil } from './harness.js';
