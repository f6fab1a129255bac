import { CHANNEL_OPTIONS, channelCredentials, loadProto, secretMetadata, type SecurityConfig, type wire } from '@sluice/core/internal';

/**
 * Asks a driver for one job's running stages (Driver.ListJobs with its job id) over one
 * connection kept for the life of a console progress bar. A streaming job has none to
 * show (its batches' stages come and go; `sluice jobs` and the web UI show them).
 */
export class JobStagesClient {
  private readonly client: wire.DriverClient;

  constructor(
    address: string,
    private readonly security: SecurityConfig,
  ) {
    this.client = new (loadProto().sluice.v1.Driver)(address, channelCredentials(security), CHANNEL_OPTIONS);
  }

  /** The job's running stages; [] when it is streaming, unknown or ended. Rejects when the driver does not answer within 2 s. */
  stages(jobId: string): Promise<wire.StageProgress__Output[]> {
    return new Promise((resolve, reject) =>
      this.client.ListJobs({ job_id: jobId }, secretMetadata(this.security.secret), { deadline: Date.now() + 2000 }, (err, res) => {
        if (err) return reject(err);
        const job = res?.jobs.find((j: wire.JobInfo__Output) => j.job_id === jobId);
        resolve(job && !job.streaming ? job.stages : []);
      }),
    );
  }

  close(): void {
    this.client.close();
  }
}
