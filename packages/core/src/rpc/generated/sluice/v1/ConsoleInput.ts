// Original file: proto/sluice/v1/sluice.proto


export interface ConsoleInput {
  'data'?: (string);
  'end'?: (boolean);
  'interrupt'?: (boolean);
  'columns'?: (number);
  'kind'?: "data"|"end"|"interrupt"|"columns";
}

export interface ConsoleInput__Output {
  'data'?: (string);
  'end'?: (boolean);
  'interrupt'?: (boolean);
  'columns'?: (number);
  'kind'?: "data"|"end"|"interrupt"|"columns";
}
