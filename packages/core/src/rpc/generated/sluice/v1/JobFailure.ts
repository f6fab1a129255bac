// Original file: proto/sluice/v1/sluice.proto


export interface JobFailure {
  'code'?: (string);
  'message'?: (string);
  'stack'?: (string);
}

export interface JobFailure__Output {
  'code': (string);
  'message': (string);
  'stack': (string);
}
