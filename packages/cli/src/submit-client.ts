import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, SluiceError, channelCredentials, chunks, loadProto, secretMetadata, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { JobBundle } from './bundle-job.js';

export interface JobOutcome {
  readonly jobId: string | undefined;
  readonly ok: boolean;
  readonly failure?: { readonly code: string; readonly message: string; readonly stack: string };
}

function driverClient(address: string, security: SecurityConfig): wire.DriverClient {
  return new (loadProto().sluice.v1.Driver)(address, channelCredentials(security), CHANNEL_OPTIONS);
}

/** A driver call's failure, in words a user can act on. */
export function callError(err: grpc.ServiceError, address: string): SluiceError {
  if (err.code === grpc.status.UNAUTHENTICATED) return new SluiceError('SLUICE_UNAUTHENTICATED', `the driver at ${address} ${err.details}`, { cause: err });
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) {
    return new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${address} (${err.details}); check --driver and that \`sluice driver\` is running there`, { cause: err });
  }
  return new SluiceError('SLUICE_INTERNAL', `driver call failed: ${err.details || err.message}`, { cause: err });
}

/** First make sure something answers at `address`, so a wrong address fails in seconds. */
function waitReady(client: grpc.Client, address: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + timeoutMs, (err) =>
      err
        ? reject(new SluiceError('SLUICE_UNREACHABLE', `no Sluice driver answers at ${address} (no gRPC connection within ${timeoutMs} ms); check --driver, that \`sluice driver\` is running there, and that your TLS options (--tls-ca) match the driver's`))
        : resolve(),
    ),
  );
}

/** Send a bundle to a running driver and stream the job's output lines to `onOutput` until it ends. */
export async function submitJob(
  address: string,
  security: SecurityConfig,
  bundle: JobBundle,
  args: readonly string[],
  onOutput: (line: string) => void,
  onJobId: (id: string) => void = () => undefined,
  detach = false,
  taskTimeoutMs?: number,
): Promise<JobOutcome> {
  const client = driverClient(address, security);
  try {
    await waitReady(client, address, 5000);
    return await new Promise<JobOutcome>((resolve, reject) => {
      let jobId: string | undefined;
      let settled = false;
      const call = client.SubmitJob(secretMetadata(security.secret));
      call.on('data', (e: wire.JobEvent__Output) => {
        if (e.job_id) {
          jobId = e.job_id;
          onJobId(jobId);
          if (detach) {
            // The job runs on without us: the driver does not tie it to this stream.
            settled = true;
            call.cancel();
            resolve({ jobId, ok: true });
          }
        } else if (e.output !== undefined && e.event === 'output') onOutput(e.output);
        else if (e.failure) {
          settled = true;
          resolve({ jobId, ok: false, failure: e.failure });
        } else if (e.done) {
          settled = true;
          resolve({ jobId, ok: true });
        }
      });
      call.on('error', (err: grpc.ServiceError) => {
        if (!settled) reject(callError(err, address));
      });
      call.on('end', () => {
        if (!settled) reject(new SluiceError('SLUICE_UNREACHABLE', `the driver at ${address} closed the job stream before the job ended`));
      });
      call.write({ header: { name: bundle.name, bundle_sha256: bundle.sha256, bundle_size: bundle.code.length, args: [...args], task_timeout_ms: taskTimeoutMs ?? 0 } });
      for (const c of chunks(bundle.code)) call.write({ bundle_chunk: c });
      for (const c of chunks(Buffer.from(bundle.sourceMap, 'utf8'))) call.write({ source_map_chunk: c });
      call.end();
    });
  } finally {
    client.close();
  }
}

/** One unary call to the driver: connect (failing fast when nothing answers), call, close. */
async function driverCall<T>(
  address: string,
  security: SecurityConfig,
  call: (client: wire.DriverClient, md: grpc.Metadata, options: grpc.CallOptions, done: (err: grpc.ServiceError | null, value?: T) => void) => void,
): Promise<T> {
  const client = driverClient(address, security);
  try {
    await waitReady(client, address, 5000);
    return await new Promise<T>((resolve, reject) =>
      call(client, secretMetadata(security.secret), { deadline: Date.now() + 5000 }, (err, value) => (err ? reject(callError(err, address)) : resolve(value as T))),
    );
  } finally {
    client.close();
  }
}

export function listWorkers(address: string, security: SecurityConfig): Promise<wire.WorkerInfo__Output[]> {
  return driverCall(address, security, (c, md, o, done) => c.ListWorkers({}, md, o, (err, res) => done(err, res?.workers ?? [])));
}

export function listJobs(address: string, security: SecurityConfig): Promise<wire.JobInfo__Output[]> {
  return driverCall(address, security, (c, md, o, done) => c.ListJobs({}, md, o, (err, res) => done(err, res?.jobs ?? [])));
}

export function stopJob(address: string, security: SecurityConfig, jobId: string, graceful: boolean): Promise<boolean> {
  return driverCall(address, security, (c, md, o, done) => c.StopJob({ job_id: jobId, graceful }, md, o, (err, res) => done(err, res?.found ?? false)));
}
