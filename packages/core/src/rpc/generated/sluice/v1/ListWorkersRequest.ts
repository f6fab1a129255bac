// Original file: proto/sluice/v1/sluice.proto


export interface ListWorkersRequest {
}

export interface ListWorkersRequest__Output {
}
