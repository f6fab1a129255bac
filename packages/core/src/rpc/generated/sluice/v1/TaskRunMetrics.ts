// Original file: proto/sluice/v1/sluice.proto


export interface TaskRunMetrics {
  'executor_deserialize_time'?: (number | string);
  'executor_run_time'?: (number | string);
  'result_serialization_time'?: (number | string);
  'shuffle_records_read'?: (number | string);
  'shuffle_records_written'?: (number | string);
  'shuffle_fetch_wait_time'?: (number | string);
  'input_bytes_read'?: (number | string);
  'input_records_read'?: (number | string);
  'output_bytes_written'?: (number | string);
  'output_records_written'?: (number | string);
  'bytes_spilled'?: (number | string);
}

export interface TaskRunMetrics__Output {
  'executor_deserialize_time': (number);
  'executor_run_time': (number);
  'result_serialization_time': (number);
  'shuffle_records_read': (number);
  'shuffle_records_written': (number);
  'shuffle_fetch_wait_time': (number);
  'input_bytes_read': (number);
  'input_records_read': (number);
  'output_bytes_written': (number);
  'output_records_written': (number);
  'bytes_spilled': (number);
}
