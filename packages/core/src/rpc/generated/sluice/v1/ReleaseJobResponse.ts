// Original file: proto/sluice/v1/sluice.proto


export interface ReleaseJobResponse {
}

export interface ReleaseJobResponse__Output {
}
