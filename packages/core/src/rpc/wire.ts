// Re-exports of the generated message types the driver and worker use, under short names.
export type { TaskDescription, TaskDescription__Output } from './generated/sluice/v1/TaskDescription.js';
export type { TaskOutcome, TaskOutcome__Output } from './generated/sluice/v1/TaskOutcome.js';
export type { BlockChunk, BlockChunk__Output } from './generated/sluice/v1/BlockChunk.js';
export type { JobEvent, JobEvent__Output } from './generated/sluice/v1/JobEvent.js';
export type { JobHeader, JobHeader__Output } from './generated/sluice/v1/JobHeader.js';
export type { SubmitJobRequest, SubmitJobRequest__Output } from './generated/sluice/v1/SubmitJobRequest.js';
export type { WorkerInfo, WorkerInfo__Output } from './generated/sluice/v1/WorkerInfo.js';
export type { WorkerStorage, WorkerStorage__Output } from './generated/sluice/v1/WorkerStorage.js';
export type { DriverClient, DriverHandlers } from './generated/sluice/v1/Driver.js';
export type { WorkerClient, WorkerHandlers } from './generated/sluice/v1/Worker.js';
export type { ReceiverDescription, ReceiverDescription__Output } from './generated/sluice/v1/ReceiverDescription.js';
export type { ReceiverEvent, ReceiverEvent__Output } from './generated/sluice/v1/ReceiverEvent.js';
export type { JobInfo, JobInfo__Output } from './generated/sluice/v1/JobInfo.js';
export type { Peer, Peer__Output } from './generated/sluice/v1/Peer.js';
export type { ReceiverReport, ReceiverReport__Output } from './generated/sluice/v1/ReceiverReport.js';
export type { ReceiverReportResponse, ReceiverReportResponse__Output } from './generated/sluice/v1/ReceiverReportResponse.js';
export type { ReceivedBlockInfo, ReceivedBlockInfo__Output } from './generated/sluice/v1/ReceivedBlockInfo.js';
