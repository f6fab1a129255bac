// Original file: proto/sluice/v1/sluice.proto


export interface HeartbeatRequest {
  'worker_id'?: (string);
  'running_task_ids'?: (string)[];
}

export interface HeartbeatRequest__Output {
  'worker_id': (string);
  'running_task_ids': (string)[];
}
