// Original file: proto/sluice/v1/sluice.proto

import type { Long } from '@grpc/proto-loader';

export interface WorkerStorage {
  'input_blocks'?: (number);
  'shuffle_blocks'?: (number);
  'rdd_blocks'?: (number);
  'memory_bytes'?: (number | string | Long);
  'disk_bytes'?: (number | string | Long);
  'memory_limit_bytes'?: (number | string | Long);
  'rss_bytes'?: (number | string | Long);
  'broadcast_blocks'?: (number);
  'decoded_block_bytes'?: ({[key: string]: number | string});
}

export interface WorkerStorage__Output {
  'input_blocks': (number);
  'shuffle_blocks': (number);
  'rdd_blocks': (number);
  'memory_bytes': (number);
  'disk_bytes': (number);
  'memory_limit_bytes': (number);
  'rss_bytes': (number);
  'broadcast_blocks': (number);
  'decoded_block_bytes': ({[key: string]: number});
}
