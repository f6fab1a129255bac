// Original file: proto/sluice/v1/sluice.proto


export interface GetBundleRequest {
  'sha256'?: (string);
}

export interface GetBundleRequest__Output {
  'sha256': (string);
}
