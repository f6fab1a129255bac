// Original file: proto/sluice/v1/sluice.proto


export interface ListJobsRequest {
}

export interface ListJobsRequest__Output {
}
