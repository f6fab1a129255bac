import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddedFile as _sluice_v1_AddedFile, AddedFile__Output as _sluice_v1_AddedFile__Output } from './sluice/v1/AddedFile';
import type { BlockChunk as _sluice_v1_BlockChunk, BlockChunk__Output as _sluice_v1_BlockChunk__Output } from './sluice/v1/BlockChunk';
import type { Chunk as _sluice_v1_Chunk, Chunk__Output as _sluice_v1_Chunk__Output } from './sluice/v1/Chunk';
import type { ConsoleInput as _sluice_v1_ConsoleInput, ConsoleInput__Output as _sluice_v1_ConsoleInput__Output } from './sluice/v1/ConsoleInput';
import type { ConsoleOutput as _sluice_v1_ConsoleOutput, ConsoleOutput__Output as _sluice_v1_ConsoleOutput__Output } from './sluice/v1/ConsoleOutput';
import type { DecommissionWorkerRequest as _sluice_v1_DecommissionWorkerRequest, DecommissionWorkerRequest__Output as _sluice_v1_DecommissionWorkerRequest__Output } from './sluice/v1/DecommissionWorkerRequest';
import type { DecommissionWorkerResponse as _sluice_v1_DecommissionWorkerResponse, DecommissionWorkerResponse__Output as _sluice_v1_DecommissionWorkerResponse__Output } from './sluice/v1/DecommissionWorkerResponse';
import type { DriverClient as _sluice_v1_DriverClient, DriverDefinition as _sluice_v1_DriverDefinition } from './sluice/v1/Driver';
import type { FetchFailure as _sluice_v1_FetchFailure, FetchFailure__Output as _sluice_v1_FetchFailure__Output } from './sluice/v1/FetchFailure';
import type { FetchShuffleRequest as _sluice_v1_FetchShuffleRequest, FetchShuffleRequest__Output as _sluice_v1_FetchShuffleRequest__Output } from './sluice/v1/FetchShuffleRequest';
import type { FileChunk as _sluice_v1_FileChunk, FileChunk__Output as _sluice_v1_FileChunk__Output } from './sluice/v1/FileChunk';
import type { GetBlockRequest as _sluice_v1_GetBlockRequest, GetBlockRequest__Output as _sluice_v1_GetBlockRequest__Output } from './sluice/v1/GetBlockRequest';
import type { GetBroadcastRequest as _sluice_v1_GetBroadcastRequest, GetBroadcastRequest__Output as _sluice_v1_GetBroadcastRequest__Output } from './sluice/v1/GetBroadcastRequest';
import type { GetBundleRequest as _sluice_v1_GetBundleRequest, GetBundleRequest__Output as _sluice_v1_GetBundleRequest__Output } from './sluice/v1/GetBundleRequest';
import type { GetFileRequest as _sluice_v1_GetFileRequest, GetFileRequest__Output as _sluice_v1_GetFileRequest__Output } from './sluice/v1/GetFileRequest';
import type { HeartbeatRequest as _sluice_v1_HeartbeatRequest, HeartbeatRequest__Output as _sluice_v1_HeartbeatRequest__Output } from './sluice/v1/HeartbeatRequest';
import type { HeartbeatResponse as _sluice_v1_HeartbeatResponse, HeartbeatResponse__Output as _sluice_v1_HeartbeatResponse__Output } from './sluice/v1/HeartbeatResponse';
import type { IndirectResult as _sluice_v1_IndirectResult, IndirectResult__Output as _sluice_v1_IndirectResult__Output } from './sluice/v1/IndirectResult';
import type { JobEvent as _sluice_v1_JobEvent, JobEvent__Output as _sluice_v1_JobEvent__Output } from './sluice/v1/JobEvent';
import type { JobFailure as _sluice_v1_JobFailure, JobFailure__Output as _sluice_v1_JobFailure__Output } from './sluice/v1/JobFailure';
import type { JobHeader as _sluice_v1_JobHeader, JobHeader__Output as _sluice_v1_JobHeader__Output } from './sluice/v1/JobHeader';
import type { JobInfo as _sluice_v1_JobInfo, JobInfo__Output as _sluice_v1_JobInfo__Output } from './sluice/v1/JobInfo';
import type { JobRestart as _sluice_v1_JobRestart, JobRestart__Output as _sluice_v1_JobRestart__Output } from './sluice/v1/JobRestart';
import type { KillTaskRequest as _sluice_v1_KillTaskRequest, KillTaskRequest__Output as _sluice_v1_KillTaskRequest__Output } from './sluice/v1/KillTaskRequest';
import type { KillTaskResponse as _sluice_v1_KillTaskResponse, KillTaskResponse__Output as _sluice_v1_KillTaskResponse__Output } from './sluice/v1/KillTaskResponse';
import type { ListJobsRequest as _sluice_v1_ListJobsRequest, ListJobsRequest__Output as _sluice_v1_ListJobsRequest__Output } from './sluice/v1/ListJobsRequest';
import type { ListJobsResponse as _sluice_v1_ListJobsResponse, ListJobsResponse__Output as _sluice_v1_ListJobsResponse__Output } from './sluice/v1/ListJobsResponse';
import type { ListWorkersRequest as _sluice_v1_ListWorkersRequest, ListWorkersRequest__Output as _sluice_v1_ListWorkersRequest__Output } from './sluice/v1/ListWorkersRequest';
import type { ListWorkersResponse as _sluice_v1_ListWorkersResponse, ListWorkersResponse__Output as _sluice_v1_ListWorkersResponse__Output } from './sluice/v1/ListWorkersResponse';
import type { MapStatus as _sluice_v1_MapStatus, MapStatus__Output as _sluice_v1_MapStatus__Output } from './sluice/v1/MapStatus';
import type { MigrateBlocksRequest as _sluice_v1_MigrateBlocksRequest, MigrateBlocksRequest__Output as _sluice_v1_MigrateBlocksRequest__Output } from './sluice/v1/MigrateBlocksRequest';
import type { MigrateBlocksResponse as _sluice_v1_MigrateBlocksResponse, MigrateBlocksResponse__Output as _sluice_v1_MigrateBlocksResponse__Output } from './sluice/v1/MigrateBlocksResponse';
import type { MovedBlock as _sluice_v1_MovedBlock, MovedBlock__Output as _sluice_v1_MovedBlock__Output } from './sluice/v1/MovedBlock';
import type { MovedMapOutput as _sluice_v1_MovedMapOutput, MovedMapOutput__Output as _sluice_v1_MovedMapOutput__Output } from './sluice/v1/MovedMapOutput';
import type { Peer as _sluice_v1_Peer, Peer__Output as _sluice_v1_Peer__Output } from './sluice/v1/Peer';
import type { PutBlockResponse as _sluice_v1_PutBlockResponse, PutBlockResponse__Output as _sluice_v1_PutBlockResponse__Output } from './sluice/v1/PutBlockResponse';
import type { ReceivedBlockInfo as _sluice_v1_ReceivedBlockInfo, ReceivedBlockInfo__Output as _sluice_v1_ReceivedBlockInfo__Output } from './sluice/v1/ReceivedBlockInfo';
import type { ReceiverDescription as _sluice_v1_ReceiverDescription, ReceiverDescription__Output as _sluice_v1_ReceiverDescription__Output } from './sluice/v1/ReceiverDescription';
import type { ReceiverEvent as _sluice_v1_ReceiverEvent, ReceiverEvent__Output as _sluice_v1_ReceiverEvent__Output } from './sluice/v1/ReceiverEvent';
import type { ReceiverReport as _sluice_v1_ReceiverReport, ReceiverReport__Output as _sluice_v1_ReceiverReport__Output } from './sluice/v1/ReceiverReport';
import type { ReceiverReportResponse as _sluice_v1_ReceiverReportResponse, ReceiverReportResponse__Output as _sluice_v1_ReceiverReportResponse__Output } from './sluice/v1/ReceiverReportResponse';
import type { RegisterWorkerRequest as _sluice_v1_RegisterWorkerRequest, RegisterWorkerRequest__Output as _sluice_v1_RegisterWorkerRequest__Output } from './sluice/v1/RegisterWorkerRequest';
import type { RegisterWorkerResponse as _sluice_v1_RegisterWorkerResponse, RegisterWorkerResponse__Output as _sluice_v1_RegisterWorkerResponse__Output } from './sluice/v1/RegisterWorkerResponse';
import type { ReleaseJobRequest as _sluice_v1_ReleaseJobRequest, ReleaseJobRequest__Output as _sluice_v1_ReleaseJobRequest__Output } from './sluice/v1/ReleaseJobRequest';
import type { ReleaseJobResponse as _sluice_v1_ReleaseJobResponse, ReleaseJobResponse__Output as _sluice_v1_ReleaseJobResponse__Output } from './sluice/v1/ReleaseJobResponse';
import type { RemoveBlocksRequest as _sluice_v1_RemoveBlocksRequest, RemoveBlocksRequest__Output as _sluice_v1_RemoveBlocksRequest__Output } from './sluice/v1/RemoveBlocksRequest';
import type { RemoveBlocksResponse as _sluice_v1_RemoveBlocksResponse, RemoveBlocksResponse__Output as _sluice_v1_RemoveBlocksResponse__Output } from './sluice/v1/RemoveBlocksResponse';
import type { RemoveBroadcastRequest as _sluice_v1_RemoveBroadcastRequest, RemoveBroadcastRequest__Output as _sluice_v1_RemoveBroadcastRequest__Output } from './sluice/v1/RemoveBroadcastRequest';
import type { RemoveBroadcastResponse as _sluice_v1_RemoveBroadcastResponse, RemoveBroadcastResponse__Output as _sluice_v1_RemoveBroadcastResponse__Output } from './sluice/v1/RemoveBroadcastResponse';
import type { RemoveRddRequest as _sluice_v1_RemoveRddRequest, RemoveRddRequest__Output as _sluice_v1_RemoveRddRequest__Output } from './sluice/v1/RemoveRddRequest';
import type { RemoveRddResponse as _sluice_v1_RemoveRddResponse, RemoveRddResponse__Output as _sluice_v1_RemoveRddResponse__Output } from './sluice/v1/RemoveRddResponse';
import type { ShuffleChunk as _sluice_v1_ShuffleChunk, ShuffleChunk__Output as _sluice_v1_ShuffleChunk__Output } from './sluice/v1/ShuffleChunk';
import type { StageDescription as _sluice_v1_StageDescription, StageDescription__Output as _sluice_v1_StageDescription__Output } from './sluice/v1/StageDescription';
import type { StageProgress as _sluice_v1_StageProgress, StageProgress__Output as _sluice_v1_StageProgress__Output } from './sluice/v1/StageProgress';
import type { StartReceiverResponse as _sluice_v1_StartReceiverResponse, StartReceiverResponse__Output as _sluice_v1_StartReceiverResponse__Output } from './sluice/v1/StartReceiverResponse';
import type { StopJobRequest as _sluice_v1_StopJobRequest, StopJobRequest__Output as _sluice_v1_StopJobRequest__Output } from './sluice/v1/StopJobRequest';
import type { StopJobResponse as _sluice_v1_StopJobResponse, StopJobResponse__Output as _sluice_v1_StopJobResponse__Output } from './sluice/v1/StopJobResponse';
import type { StopReceiverRequest as _sluice_v1_StopReceiverRequest, StopReceiverRequest__Output as _sluice_v1_StopReceiverRequest__Output } from './sluice/v1/StopReceiverRequest';
import type { StopReceiverResponse as _sluice_v1_StopReceiverResponse, StopReceiverResponse__Output as _sluice_v1_StopReceiverResponse__Output } from './sluice/v1/StopReceiverResponse';
import type { SubmitJobRequest as _sluice_v1_SubmitJobRequest, SubmitJobRequest__Output as _sluice_v1_SubmitJobRequest__Output } from './sluice/v1/SubmitJobRequest';
import type { TaskBatch as _sluice_v1_TaskBatch, TaskBatch__Output as _sluice_v1_TaskBatch__Output } from './sluice/v1/TaskBatch';
import type { TaskEnded as _sluice_v1_TaskEnded, TaskEnded__Output as _sluice_v1_TaskEnded__Output } from './sluice/v1/TaskEnded';
import type { TaskError as _sluice_v1_TaskError, TaskError__Output as _sluice_v1_TaskError__Output } from './sluice/v1/TaskError';
import type { TaskLaunch as _sluice_v1_TaskLaunch, TaskLaunch__Output as _sluice_v1_TaskLaunch__Output } from './sluice/v1/TaskLaunch';
import type { TaskOutcome as _sluice_v1_TaskOutcome, TaskOutcome__Output as _sluice_v1_TaskOutcome__Output } from './sluice/v1/TaskOutcome';
import type { TaskOutcomeBatch as _sluice_v1_TaskOutcomeBatch, TaskOutcomeBatch__Output as _sluice_v1_TaskOutcomeBatch__Output } from './sluice/v1/TaskOutcomeBatch';
import type { TaskRunMetrics as _sluice_v1_TaskRunMetrics, TaskRunMetrics__Output as _sluice_v1_TaskRunMetrics__Output } from './sluice/v1/TaskRunMetrics';
import type { WalPlace as _sluice_v1_WalPlace, WalPlace__Output as _sluice_v1_WalPlace__Output } from './sluice/v1/WalPlace';
import type { WatchJobRequest as _sluice_v1_WatchJobRequest, WatchJobRequest__Output as _sluice_v1_WatchJobRequest__Output } from './sluice/v1/WatchJobRequest';
import type { WorkerClient as _sluice_v1_WorkerClient, WorkerDefinition as _sluice_v1_WorkerDefinition } from './sluice/v1/Worker';
import type { WorkerInfo as _sluice_v1_WorkerInfo, WorkerInfo__Output as _sluice_v1_WorkerInfo__Output } from './sluice/v1/WorkerInfo';
import type { WorkerProcess as _sluice_v1_WorkerProcess, WorkerProcess__Output as _sluice_v1_WorkerProcess__Output } from './sluice/v1/WorkerProcess';
import type { WorkerStorage as _sluice_v1_WorkerStorage, WorkerStorage__Output as _sluice_v1_WorkerStorage__Output } from './sluice/v1/WorkerStorage';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  sluice: {
    v1: {
      AddedFile: MessageTypeDefinition<_sluice_v1_AddedFile, _sluice_v1_AddedFile__Output>
      BlockChunk: MessageTypeDefinition<_sluice_v1_BlockChunk, _sluice_v1_BlockChunk__Output>
      Chunk: MessageTypeDefinition<_sluice_v1_Chunk, _sluice_v1_Chunk__Output>
      ConsoleInput: MessageTypeDefinition<_sluice_v1_ConsoleInput, _sluice_v1_ConsoleInput__Output>
      ConsoleOutput: MessageTypeDefinition<_sluice_v1_ConsoleOutput, _sluice_v1_ConsoleOutput__Output>
      DecommissionWorkerRequest: MessageTypeDefinition<_sluice_v1_DecommissionWorkerRequest, _sluice_v1_DecommissionWorkerRequest__Output>
      DecommissionWorkerResponse: MessageTypeDefinition<_sluice_v1_DecommissionWorkerResponse, _sluice_v1_DecommissionWorkerResponse__Output>
      Driver: SubtypeConstructor<typeof grpc.Client, _sluice_v1_DriverClient> & { service: _sluice_v1_DriverDefinition }
      FetchFailure: MessageTypeDefinition<_sluice_v1_FetchFailure, _sluice_v1_FetchFailure__Output>
      FetchShuffleRequest: MessageTypeDefinition<_sluice_v1_FetchShuffleRequest, _sluice_v1_FetchShuffleRequest__Output>
      FileChunk: MessageTypeDefinition<_sluice_v1_FileChunk, _sluice_v1_FileChunk__Output>
      GetBlockRequest: MessageTypeDefinition<_sluice_v1_GetBlockRequest, _sluice_v1_GetBlockRequest__Output>
      GetBroadcastRequest: MessageTypeDefinition<_sluice_v1_GetBroadcastRequest, _sluice_v1_GetBroadcastRequest__Output>
      GetBundleRequest: MessageTypeDefinition<_sluice_v1_GetBundleRequest, _sluice_v1_GetBundleRequest__Output>
      GetFileRequest: MessageTypeDefinition<_sluice_v1_GetFileRequest, _sluice_v1_GetFileRequest__Output>
      HeartbeatRequest: MessageTypeDefinition<_sluice_v1_HeartbeatRequest, _sluice_v1_HeartbeatRequest__Output>
      HeartbeatResponse: MessageTypeDefinition<_sluice_v1_HeartbeatResponse, _sluice_v1_HeartbeatResponse__Output>
      IndirectResult: MessageTypeDefinition<_sluice_v1_IndirectResult, _sluice_v1_IndirectResult__Output>
      JobEvent: MessageTypeDefinition<_sluice_v1_JobEvent, _sluice_v1_JobEvent__Output>
      JobFailure: MessageTypeDefinition<_sluice_v1_JobFailure, _sluice_v1_JobFailure__Output>
      JobHeader: MessageTypeDefinition<_sluice_v1_JobHeader, _sluice_v1_JobHeader__Output>
      JobInfo: MessageTypeDefinition<_sluice_v1_JobInfo, _sluice_v1_JobInfo__Output>
      JobRestart: MessageTypeDefinition<_sluice_v1_JobRestart, _sluice_v1_JobRestart__Output>
      KillTaskRequest: MessageTypeDefinition<_sluice_v1_KillTaskRequest, _sluice_v1_KillTaskRequest__Output>
      KillTaskResponse: MessageTypeDefinition<_sluice_v1_KillTaskResponse, _sluice_v1_KillTaskResponse__Output>
      ListJobsRequest: MessageTypeDefinition<_sluice_v1_ListJobsRequest, _sluice_v1_ListJobsRequest__Output>
      ListJobsResponse: MessageTypeDefinition<_sluice_v1_ListJobsResponse, _sluice_v1_ListJobsResponse__Output>
      ListWorkersRequest: MessageTypeDefinition<_sluice_v1_ListWorkersRequest, _sluice_v1_ListWorkersRequest__Output>
      ListWorkersResponse: MessageTypeDefinition<_sluice_v1_ListWorkersResponse, _sluice_v1_ListWorkersResponse__Output>
      MapStatus: MessageTypeDefinition<_sluice_v1_MapStatus, _sluice_v1_MapStatus__Output>
      MigrateBlocksRequest: MessageTypeDefinition<_sluice_v1_MigrateBlocksRequest, _sluice_v1_MigrateBlocksRequest__Output>
      MigrateBlocksResponse: MessageTypeDefinition<_sluice_v1_MigrateBlocksResponse, _sluice_v1_MigrateBlocksResponse__Output>
      MovedBlock: MessageTypeDefinition<_sluice_v1_MovedBlock, _sluice_v1_MovedBlock__Output>
      MovedMapOutput: MessageTypeDefinition<_sluice_v1_MovedMapOutput, _sluice_v1_MovedMapOutput__Output>
      Peer: MessageTypeDefinition<_sluice_v1_Peer, _sluice_v1_Peer__Output>
      PutBlockResponse: MessageTypeDefinition<_sluice_v1_PutBlockResponse, _sluice_v1_PutBlockResponse__Output>
      ReceivedBlockInfo: MessageTypeDefinition<_sluice_v1_ReceivedBlockInfo, _sluice_v1_ReceivedBlockInfo__Output>
      ReceiverDescription: MessageTypeDefinition<_sluice_v1_ReceiverDescription, _sluice_v1_ReceiverDescription__Output>
      ReceiverEvent: MessageTypeDefinition<_sluice_v1_ReceiverEvent, _sluice_v1_ReceiverEvent__Output>
      ReceiverReport: MessageTypeDefinition<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReport__Output>
      ReceiverReportResponse: MessageTypeDefinition<_sluice_v1_ReceiverReportResponse, _sluice_v1_ReceiverReportResponse__Output>
      RegisterWorkerRequest: MessageTypeDefinition<_sluice_v1_RegisterWorkerRequest, _sluice_v1_RegisterWorkerRequest__Output>
      RegisterWorkerResponse: MessageTypeDefinition<_sluice_v1_RegisterWorkerResponse, _sluice_v1_RegisterWorkerResponse__Output>
      ReleaseJobRequest: MessageTypeDefinition<_sluice_v1_ReleaseJobRequest, _sluice_v1_ReleaseJobRequest__Output>
      ReleaseJobResponse: MessageTypeDefinition<_sluice_v1_ReleaseJobResponse, _sluice_v1_ReleaseJobResponse__Output>
      RemoveBlocksRequest: MessageTypeDefinition<_sluice_v1_RemoveBlocksRequest, _sluice_v1_RemoveBlocksRequest__Output>
      RemoveBlocksResponse: MessageTypeDefinition<_sluice_v1_RemoveBlocksResponse, _sluice_v1_RemoveBlocksResponse__Output>
      RemoveBroadcastRequest: MessageTypeDefinition<_sluice_v1_RemoveBroadcastRequest, _sluice_v1_RemoveBroadcastRequest__Output>
      RemoveBroadcastResponse: MessageTypeDefinition<_sluice_v1_RemoveBroadcastResponse, _sluice_v1_RemoveBroadcastResponse__Output>
      RemoveRddRequest: MessageTypeDefinition<_sluice_v1_RemoveRddRequest, _sluice_v1_RemoveRddRequest__Output>
      RemoveRddResponse: MessageTypeDefinition<_sluice_v1_RemoveRddResponse, _sluice_v1_RemoveRddResponse__Output>
      ShuffleChunk: MessageTypeDefinition<_sluice_v1_ShuffleChunk, _sluice_v1_ShuffleChunk__Output>
      StageDescription: MessageTypeDefinition<_sluice_v1_StageDescription, _sluice_v1_StageDescription__Output>
      StageProgress: MessageTypeDefinition<_sluice_v1_StageProgress, _sluice_v1_StageProgress__Output>
      StartReceiverResponse: MessageTypeDefinition<_sluice_v1_StartReceiverResponse, _sluice_v1_StartReceiverResponse__Output>
      StopJobRequest: MessageTypeDefinition<_sluice_v1_StopJobRequest, _sluice_v1_StopJobRequest__Output>
      StopJobResponse: MessageTypeDefinition<_sluice_v1_StopJobResponse, _sluice_v1_StopJobResponse__Output>
      StopReceiverRequest: MessageTypeDefinition<_sluice_v1_StopReceiverRequest, _sluice_v1_StopReceiverRequest__Output>
      StopReceiverResponse: MessageTypeDefinition<_sluice_v1_StopReceiverResponse, _sluice_v1_StopReceiverResponse__Output>
      SubmitJobRequest: MessageTypeDefinition<_sluice_v1_SubmitJobRequest, _sluice_v1_SubmitJobRequest__Output>
      TaskBatch: MessageTypeDefinition<_sluice_v1_TaskBatch, _sluice_v1_TaskBatch__Output>
      TaskEnded: MessageTypeDefinition<_sluice_v1_TaskEnded, _sluice_v1_TaskEnded__Output>
      TaskError: MessageTypeDefinition<_sluice_v1_TaskError, _sluice_v1_TaskError__Output>
      TaskLaunch: MessageTypeDefinition<_sluice_v1_TaskLaunch, _sluice_v1_TaskLaunch__Output>
      TaskOutcome: MessageTypeDefinition<_sluice_v1_TaskOutcome, _sluice_v1_TaskOutcome__Output>
      TaskOutcomeBatch: MessageTypeDefinition<_sluice_v1_TaskOutcomeBatch, _sluice_v1_TaskOutcomeBatch__Output>
      TaskRunMetrics: MessageTypeDefinition<_sluice_v1_TaskRunMetrics, _sluice_v1_TaskRunMetrics__Output>
      WalPlace: MessageTypeDefinition<_sluice_v1_WalPlace, _sluice_v1_WalPlace__Output>
      WatchJobRequest: MessageTypeDefinition<_sluice_v1_WatchJobRequest, _sluice_v1_WatchJobRequest__Output>
      Worker: SubtypeConstructor<typeof grpc.Client, _sluice_v1_WorkerClient> & { service: _sluice_v1_WorkerDefinition }
      WorkerInfo: MessageTypeDefinition<_sluice_v1_WorkerInfo, _sluice_v1_WorkerInfo__Output>
      WorkerProcess: MessageTypeDefinition<_sluice_v1_WorkerProcess, _sluice_v1_WorkerProcess__Output>
      WorkerStorage: MessageTypeDefinition<_sluice_v1_WorkerStorage, _sluice_v1_WorkerStorage__Output>
    }
  }
}

