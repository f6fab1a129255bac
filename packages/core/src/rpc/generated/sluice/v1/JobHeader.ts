// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface JobHeader {
  'name'?: (string);
  'bundle_sha256'?: (string);
  'bundle_size'?: (number | string | Long);
  'source_map'?: (string);
  'args'?: (string)[];
  'task_timeout_ms'?: (number | string | Long);
  'supervise'?: (boolean);
  'max_restarts'?: (number);
  'working_dir'?: (string);
  'default_parallelism'?: (number);
  'interactive'?: (boolean);
  'executor_env'?: ({[key: string]: string});
}

export interface JobHeader__Output {
  'name': (string);
  'bundle_sha256': (string);
  'bundle_size': (number);
  'source_map': (string);
  'args': (string)[];
  'task_timeout_ms': (number);
  'supervise': (boolean);
  'max_restarts': (number);
  'working_dir': (string);
  'default_parallelism': (number);
  'interactive': (boolean);
  'executor_env': ({[key: string]: string});
}
