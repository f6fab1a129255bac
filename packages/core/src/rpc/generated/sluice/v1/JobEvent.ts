// Original file: proto/sluice/v1/sluice.proto

import type { JobFailure as _sluice_v1_JobFailure, JobFailure__Output as _sluice_v1_JobFailure__Output } from '../../sluice/v1/JobFailure';
import type { ConsoleOutput as _sluice_v1_ConsoleOutput, ConsoleOutput__Output as _sluice_v1_ConsoleOutput__Output } from '../../sluice/v1/ConsoleOutput';
import type { JobRestart as _sluice_v1_JobRestart, JobRestart__Output as _sluice_v1_JobRestart__Output } from '../../sluice/v1/JobRestart';
import type { Long } from '@grpc/proto-loader';

export interface JobEvent {
  'job_id'?: (string);
  'output'?: (string);
  'failure'?: (_sluice_v1_JobFailure | null);
  'done'?: (boolean);
  'line'?: (number | string | Long);
  'output_epoch'?: (string);
  'stopped'?: (string);
  'output_stderr'?: (boolean);
  'console'?: (_sluice_v1_ConsoleOutput | null);
  'restart'?: (_sluice_v1_JobRestart | null);
  'event'?: "job_id"|"output"|"failure"|"done"|"stopped"|"console"|"restart";
}

export interface JobEvent__Output {
  'job_id'?: (string);
  'output'?: (string);
  'failure'?: (_sluice_v1_JobFailure__Output | null);
  'done'?: (boolean);
  'line': (number);
  'output_epoch': (string);
  'stopped'?: (string);
  'output_stderr': (boolean);
  'console'?: (_sluice_v1_ConsoleOutput__Output | null);
  'restart'?: (_sluice_v1_JobRestart__Output | null);
  'event'?: "job_id"|"output"|"failure"|"done"|"stopped"|"console"|"restart";
}
