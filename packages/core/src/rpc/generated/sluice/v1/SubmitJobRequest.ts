// Original file: proto/sluice/v1/sluice.proto

import type { JobHeader as _sluice_v1_JobHeader, JobHeader__Output as _sluice_v1_JobHeader__Output } from '../../sluice/v1/JobHeader';

export interface SubmitJobRequest {
  'header'?: (_sluice_v1_JobHeader | null);
  'bundle_chunk'?: (Buffer | Uint8Array | string);
  'source_map_chunk'?: (Buffer | Uint8Array | string);
  'part'?: "header"|"bundle_chunk"|"source_map_chunk";
}

export interface SubmitJobRequest__Output {
  'header'?: (_sluice_v1_JobHeader__Output | null);
  'bundle_chunk'?: (Buffer);
  'source_map_chunk'?: (Buffer);
  'part'?: "header"|"bundle_chunk"|"source_map_chunk";
}
