// Original file: proto/sluice/v1/sluice.proto

import type { JobHeader as _sluice_v1_JobHeader, JobHeader__Output as _sluice_v1_JobHeader__Output } from '../../sluice/v1/JobHeader';
import type { ConsoleInput as _sluice_v1_ConsoleInput, ConsoleInput__Output as _sluice_v1_ConsoleInput__Output } from '../../sluice/v1/ConsoleInput';

export interface SubmitJobRequest {
  'header'?: (_sluice_v1_JobHeader | null);
  'bundle_chunk'?: (Buffer | Uint8Array | string);
  'source_map_chunk'?: (Buffer | Uint8Array | string);
  'start'?: (boolean);
  'console_input'?: (_sluice_v1_ConsoleInput | null);
  'part'?: "header"|"bundle_chunk"|"source_map_chunk"|"start"|"console_input";
}

export interface SubmitJobRequest__Output {
  'header'?: (_sluice_v1_JobHeader__Output | null);
  'bundle_chunk'?: (Buffer);
  'source_map_chunk'?: (Buffer);
  'start'?: (boolean);
  'console_input'?: (_sluice_v1_ConsoleInput__Output | null);
  'part'?: "header"|"bundle_chunk"|"source_map_chunk"|"start"|"console_input";
}
