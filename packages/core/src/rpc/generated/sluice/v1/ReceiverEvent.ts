// Original file: proto/sluice/v1/sluice.proto

import type { ReceivedBlockInfo as _sluice_v1_ReceivedBlockInfo, ReceivedBlockInfo__Output as _sluice_v1_ReceivedBlockInfo__Output } from '../../sluice/v1/ReceivedBlockInfo';

export interface ReceiverEvent {
  'started'?: (boolean);
  'block'?: (_sluice_v1_ReceivedBlockInfo | null);
  'error'?: (string);
  'stopped'?: (string);
  'error_stack'?: (string);
  'restarting'?: (string);
  'event'?: "started"|"block"|"error"|"stopped"|"restarting";
}

export interface ReceiverEvent__Output {
  'started'?: (boolean);
  'block'?: (_sluice_v1_ReceivedBlockInfo__Output | null);
  'error'?: (string);
  'stopped'?: (string);
  'error_stack': (string);
  'restarting'?: (string);
  'event'?: "started"|"block"|"error"|"stopped"|"restarting";
}
