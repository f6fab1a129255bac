// Original file: proto/sluice/v1/sluice.proto


export interface AddedFile {
  'name'?: (string);
  'sha256'?: (string);
  'directory'?: (boolean);
}

export interface AddedFile__Output {
  'name': (string);
  'sha256': (string);
  'directory': (boolean);
}
