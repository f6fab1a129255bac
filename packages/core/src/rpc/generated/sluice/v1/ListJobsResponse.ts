// Original file: proto/sluice/v1/sluice.proto

import type { JobInfo as _sluice_v1_JobInfo, JobInfo__Output as _sluice_v1_JobInfo__Output } from '../../sluice/v1/JobInfo';

export interface ListJobsResponse {
  'jobs'?: (_sluice_v1_JobInfo)[];
  'earlier_jobs'?: (string);
}

export interface ListJobsResponse__Output {
  'jobs': (_sluice_v1_JobInfo__Output)[];
  'earlier_jobs': (string);
}
