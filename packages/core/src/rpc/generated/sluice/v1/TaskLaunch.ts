// Original file: proto/sluice/v1/sluice.proto


export interface TaskLaunch {
  'task_id'?: (string);
  'stage_key'?: (string);
  'partition'?: (number);
  'attempt'?: (number);
  'task_data'?: (Buffer | Uint8Array | string);
}

export interface TaskLaunch__Output {
  'task_id': (string);
  'stage_key': (string);
  'partition': (number);
  'attempt': (number);
  'task_data': (Buffer);
}
