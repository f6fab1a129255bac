// Original file: proto/sluice/v1/sluice.proto


export interface ReceiverReportResponse {
  'keep'?: (boolean);
}

export interface ReceiverReportResponse__Output {
  'keep': (boolean);
}
