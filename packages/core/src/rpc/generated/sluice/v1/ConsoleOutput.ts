// Original file: proto/sluice/v1/sluice.proto


export interface ConsoleOutput {
  'data'?: (string);
  'ready'?: (boolean);
  'exit'?: (boolean);
  'kind'?: "data"|"ready"|"exit";
}

export interface ConsoleOutput__Output {
  'data'?: (string);
  'ready'?: (boolean);
  'exit'?: (boolean);
  'kind'?: "data"|"ready"|"exit";
}
