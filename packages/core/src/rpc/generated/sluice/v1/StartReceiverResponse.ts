// Original file: proto/sluice/v1/sluice.proto


export interface StartReceiverResponse {
}

export interface StartReceiverResponse__Output {
}
