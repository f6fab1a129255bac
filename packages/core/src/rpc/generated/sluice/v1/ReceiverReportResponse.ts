// Original file: proto/sluice/v1/sluice.proto


export interface ReceiverReportResponse {
  'keep'?: (boolean);
  'rate_limit'?: (number | string);
}

export interface ReceiverReportResponse__Output {
  'keep': (boolean);
  'rate_limit': (number);
}
