// Original file: proto/sluice/v1/sluice.proto


export interface KillTaskRequest {
  'task_id'?: (string);
}

export interface KillTaskRequest__Output {
  'task_id': (string);
}
