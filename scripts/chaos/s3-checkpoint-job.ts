// The job scripts/chaos-probe.mjs --s3-checkpoint submits (not a test fixture: the probe is a
// soak, run by hand): chaos-job.ts's job, its checkpoint directory (args[0]) an s3:// location.
// Importing @sluice/s3 registers s3:// in every process that loads the job; the client takes
// its endpoint and credentials from the environment the probe gives the driver and the
// workers (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION), as README's
// "Where checkpoints live" tells a user to. args: chaos-job.ts's.
import '@sluice/s3';
export { default } from './chaos-job.js';
