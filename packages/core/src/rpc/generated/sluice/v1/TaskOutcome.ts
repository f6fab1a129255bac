// Original file: proto/sluice/v1/sluice.proto

import type { MapStatus as _sluice_v1_MapStatus, MapStatus__Output as _sluice_v1_MapStatus__Output } from '../../sluice/v1/MapStatus';
import type { TaskError as _sluice_v1_TaskError, TaskError__Output as _sluice_v1_TaskError__Output } from '../../sluice/v1/TaskError';
import type { FetchFailure as _sluice_v1_FetchFailure, FetchFailure__Output as _sluice_v1_FetchFailure__Output } from '../../sluice/v1/FetchFailure';
import type { IndirectResult as _sluice_v1_IndirectResult, IndirectResult__Output as _sluice_v1_IndirectResult__Output } from '../../sluice/v1/IndirectResult';
import type { TaskRunMetrics as _sluice_v1_TaskRunMetrics, TaskRunMetrics__Output as _sluice_v1_TaskRunMetrics__Output } from '../../sluice/v1/TaskRunMetrics';

export interface TaskOutcome {
  'result'?: (Buffer | Uint8Array | string);
  'map_status'?: (_sluice_v1_MapStatus | null);
  'error'?: (_sluice_v1_TaskError | null);
  'fetch_failed'?: (_sluice_v1_FetchFailure | null);
  'killed'?: (boolean);
  'stored_blocks'?: (string)[];
  'accumulators'?: (Buffer | Uint8Array | string);
  'shuffle_read_bytes'?: (number | string);
  'indirect_result'?: (_sluice_v1_IndirectResult | null);
  'stored_block_bytes'?: (number | string)[];
  'metrics'?: (_sluice_v1_TaskRunMetrics | null);
  'outcome'?: "result"|"map_status"|"error"|"fetch_failed"|"killed"|"indirect_result";
}

export interface TaskOutcome__Output {
  'result'?: (Buffer);
  'map_status'?: (_sluice_v1_MapStatus__Output | null);
  'error'?: (_sluice_v1_TaskError__Output | null);
  'fetch_failed'?: (_sluice_v1_FetchFailure__Output | null);
  'killed'?: (boolean);
  'stored_blocks': (string)[];
  'accumulators': (Buffer);
  'shuffle_read_bytes': (number);
  'indirect_result'?: (_sluice_v1_IndirectResult__Output | null);
  'stored_block_bytes': (number)[];
  'metrics': (_sluice_v1_TaskRunMetrics__Output | null);
  'outcome'?: "result"|"map_status"|"error"|"fetch_failed"|"killed"|"indirect_result";
}
