// Original file: proto/sluice/v1/sluice.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { Chunk as _sluice_v1_Chunk, Chunk__Output as _sluice_v1_Chunk__Output } from '../../sluice/v1/Chunk';
import type { DecommissionWorkerRequest as _sluice_v1_DecommissionWorkerRequest, DecommissionWorkerRequest__Output as _sluice_v1_DecommissionWorkerRequest__Output } from '../../sluice/v1/DecommissionWorkerRequest';
import type { DecommissionWorkerResponse as _sluice_v1_DecommissionWorkerResponse, DecommissionWorkerResponse__Output as _sluice_v1_DecommissionWorkerResponse__Output } from '../../sluice/v1/DecommissionWorkerResponse';
import type { FileChunk as _sluice_v1_FileChunk, FileChunk__Output as _sluice_v1_FileChunk__Output } from '../../sluice/v1/FileChunk';
import type { GetBroadcastRequest as _sluice_v1_GetBroadcastRequest, GetBroadcastRequest__Output as _sluice_v1_GetBroadcastRequest__Output } from '../../sluice/v1/GetBroadcastRequest';
import type { GetBundleRequest as _sluice_v1_GetBundleRequest, GetBundleRequest__Output as _sluice_v1_GetBundleRequest__Output } from '../../sluice/v1/GetBundleRequest';
import type { GetFileRequest as _sluice_v1_GetFileRequest, GetFileRequest__Output as _sluice_v1_GetFileRequest__Output } from '../../sluice/v1/GetFileRequest';
import type { HeartbeatRequest as _sluice_v1_HeartbeatRequest, HeartbeatRequest__Output as _sluice_v1_HeartbeatRequest__Output } from '../../sluice/v1/HeartbeatRequest';
import type { HeartbeatResponse as _sluice_v1_HeartbeatResponse, HeartbeatResponse__Output as _sluice_v1_HeartbeatResponse__Output } from '../../sluice/v1/HeartbeatResponse';
import type { JobEvent as _sluice_v1_JobEvent, JobEvent__Output as _sluice_v1_JobEvent__Output } from '../../sluice/v1/JobEvent';
import type { ListJobsRequest as _sluice_v1_ListJobsRequest, ListJobsRequest__Output as _sluice_v1_ListJobsRequest__Output } from '../../sluice/v1/ListJobsRequest';
import type { ListJobsResponse as _sluice_v1_ListJobsResponse, ListJobsResponse__Output as _sluice_v1_ListJobsResponse__Output } from '../../sluice/v1/ListJobsResponse';
import type { ListWorkersRequest as _sluice_v1_ListWorkersRequest, ListWorkersRequest__Output as _sluice_v1_ListWorkersRequest__Output } from '../../sluice/v1/ListWorkersRequest';
import type { ListWorkersResponse as _sluice_v1_ListWorkersResponse, ListWorkersResponse__Output as _sluice_v1_ListWorkersResponse__Output } from '../../sluice/v1/ListWorkersResponse';
import type { ReceiverReport as _sluice_v1_ReceiverReport, ReceiverReport__Output as _sluice_v1_ReceiverReport__Output } from '../../sluice/v1/ReceiverReport';
import type { ReceiverReportResponse as _sluice_v1_ReceiverReportResponse, ReceiverReportResponse__Output as _sluice_v1_ReceiverReportResponse__Output } from '../../sluice/v1/ReceiverReportResponse';
import type { RegisterWorkerRequest as _sluice_v1_RegisterWorkerRequest, RegisterWorkerRequest__Output as _sluice_v1_RegisterWorkerRequest__Output } from '../../sluice/v1/RegisterWorkerRequest';
import type { RegisterWorkerResponse as _sluice_v1_RegisterWorkerResponse, RegisterWorkerResponse__Output as _sluice_v1_RegisterWorkerResponse__Output } from '../../sluice/v1/RegisterWorkerResponse';
import type { StopJobRequest as _sluice_v1_StopJobRequest, StopJobRequest__Output as _sluice_v1_StopJobRequest__Output } from '../../sluice/v1/StopJobRequest';
import type { StopJobResponse as _sluice_v1_StopJobResponse, StopJobResponse__Output as _sluice_v1_StopJobResponse__Output } from '../../sluice/v1/StopJobResponse';
import type { SubmitJobRequest as _sluice_v1_SubmitJobRequest, SubmitJobRequest__Output as _sluice_v1_SubmitJobRequest__Output } from '../../sluice/v1/SubmitJobRequest';
import type { WatchJobRequest as _sluice_v1_WatchJobRequest, WatchJobRequest__Output as _sluice_v1_WatchJobRequest__Output } from '../../sluice/v1/WatchJobRequest';

export interface DriverClient extends grpc.Client {
  DecommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  DecommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  DecommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  DecommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  decommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  decommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  decommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  decommissionWorker(argument: _sluice_v1_DecommissionWorkerRequest, callback: grpc.requestCallback<_sluice_v1_DecommissionWorkerResponse__Output>): grpc.ClientUnaryCall;
  
  GetBroadcast(argument: _sluice_v1_GetBroadcastRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  GetBroadcast(argument: _sluice_v1_GetBroadcastRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  getBroadcast(argument: _sluice_v1_GetBroadcastRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  getBroadcast(argument: _sluice_v1_GetBroadcastRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  
  GetBundle(argument: _sluice_v1_GetBundleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  GetBundle(argument: _sluice_v1_GetBundleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  getBundle(argument: _sluice_v1_GetBundleRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  getBundle(argument: _sluice_v1_GetBundleRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_Chunk__Output>;
  
  GetFile(argument: _sluice_v1_GetFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_FileChunk__Output>;
  GetFile(argument: _sluice_v1_GetFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_FileChunk__Output>;
  getFile(argument: _sluice_v1_GetFileRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_FileChunk__Output>;
  getFile(argument: _sluice_v1_GetFileRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_FileChunk__Output>;
  
  Heartbeat(argument: _sluice_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _sluice_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _sluice_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _sluice_v1_HeartbeatRequest, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _sluice_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _sluice_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _sluice_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _sluice_v1_HeartbeatRequest, callback: grpc.requestCallback<_sluice_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  ListJobs(argument: _sluice_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _sluice_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _sluice_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _sluice_v1_ListJobsRequest, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _sluice_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _sluice_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _sluice_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _sluice_v1_ListJobsRequest, callback: grpc.requestCallback<_sluice_v1_ListJobsResponse__Output>): grpc.ClientUnaryCall;
  
  ListWorkers(argument: _sluice_v1_ListWorkersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _sluice_v1_ListWorkersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _sluice_v1_ListWorkersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  ListWorkers(argument: _sluice_v1_ListWorkersRequest, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _sluice_v1_ListWorkersRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _sluice_v1_ListWorkersRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _sluice_v1_ListWorkersRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  listWorkers(argument: _sluice_v1_ListWorkersRequest, callback: grpc.requestCallback<_sluice_v1_ListWorkersResponse__Output>): grpc.ClientUnaryCall;
  
  ReceiverReports(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReportResponse__Output>;
  ReceiverReports(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReportResponse__Output>;
  receiverReports(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReportResponse__Output>;
  receiverReports(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReportResponse__Output>;
  
  RegisterWorker(argument: _sluice_v1_RegisterWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorker(argument: _sluice_v1_RegisterWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorker(argument: _sluice_v1_RegisterWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  RegisterWorker(argument: _sluice_v1_RegisterWorkerRequest, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  registerWorker(argument: _sluice_v1_RegisterWorkerRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  registerWorker(argument: _sluice_v1_RegisterWorkerRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  registerWorker(argument: _sluice_v1_RegisterWorkerRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  registerWorker(argument: _sluice_v1_RegisterWorkerRequest, callback: grpc.requestCallback<_sluice_v1_RegisterWorkerResponse__Output>): grpc.ClientUnaryCall;
  
  StopJob(argument: _sluice_v1_StopJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _sluice_v1_StopJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _sluice_v1_StopJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _sluice_v1_StopJobRequest, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _sluice_v1_StopJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _sluice_v1_StopJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _sluice_v1_StopJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _sluice_v1_StopJobRequest, callback: grpc.requestCallback<_sluice_v1_StopJobResponse__Output>): grpc.ClientUnaryCall;
  
  SubmitJob(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_SubmitJobRequest, _sluice_v1_JobEvent__Output>;
  SubmitJob(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_SubmitJobRequest, _sluice_v1_JobEvent__Output>;
  submitJob(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_SubmitJobRequest, _sluice_v1_JobEvent__Output>;
  submitJob(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_SubmitJobRequest, _sluice_v1_JobEvent__Output>;
  
  WatchJob(argument: _sluice_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_JobEvent__Output>;
  WatchJob(argument: _sluice_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_JobEvent__Output>;
  watchJob(argument: _sluice_v1_WatchJobRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_JobEvent__Output>;
  watchJob(argument: _sluice_v1_WatchJobRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_JobEvent__Output>;
  
}

export interface DriverHandlers extends grpc.UntypedServiceImplementation {
  DecommissionWorker: grpc.handleUnaryCall<_sluice_v1_DecommissionWorkerRequest__Output, _sluice_v1_DecommissionWorkerResponse>;
  
  GetBroadcast: grpc.handleServerStreamingCall<_sluice_v1_GetBroadcastRequest__Output, _sluice_v1_Chunk>;
  
  GetBundle: grpc.handleServerStreamingCall<_sluice_v1_GetBundleRequest__Output, _sluice_v1_Chunk>;
  
  GetFile: grpc.handleServerStreamingCall<_sluice_v1_GetFileRequest__Output, _sluice_v1_FileChunk>;
  
  Heartbeat: grpc.handleUnaryCall<_sluice_v1_HeartbeatRequest__Output, _sluice_v1_HeartbeatResponse>;
  
  ListJobs: grpc.handleUnaryCall<_sluice_v1_ListJobsRequest__Output, _sluice_v1_ListJobsResponse>;
  
  ListWorkers: grpc.handleUnaryCall<_sluice_v1_ListWorkersRequest__Output, _sluice_v1_ListWorkersResponse>;
  
  ReceiverReports: grpc.handleBidiStreamingCall<_sluice_v1_ReceiverReport__Output, _sluice_v1_ReceiverReportResponse>;
  
  RegisterWorker: grpc.handleUnaryCall<_sluice_v1_RegisterWorkerRequest__Output, _sluice_v1_RegisterWorkerResponse>;
  
  StopJob: grpc.handleUnaryCall<_sluice_v1_StopJobRequest__Output, _sluice_v1_StopJobResponse>;
  
  SubmitJob: grpc.handleBidiStreamingCall<_sluice_v1_SubmitJobRequest__Output, _sluice_v1_JobEvent>;
  
  WatchJob: grpc.handleServerStreamingCall<_sluice_v1_WatchJobRequest__Output, _sluice_v1_JobEvent>;
  
}

export interface DriverDefinition extends grpc.ServiceDefinition {
  DecommissionWorker: MethodDefinition<_sluice_v1_DecommissionWorkerRequest, _sluice_v1_DecommissionWorkerResponse, _sluice_v1_DecommissionWorkerRequest__Output, _sluice_v1_DecommissionWorkerResponse__Output>
  GetBroadcast: MethodDefinition<_sluice_v1_GetBroadcastRequest, _sluice_v1_Chunk, _sluice_v1_GetBroadcastRequest__Output, _sluice_v1_Chunk__Output>
  GetBundle: MethodDefinition<_sluice_v1_GetBundleRequest, _sluice_v1_Chunk, _sluice_v1_GetBundleRequest__Output, _sluice_v1_Chunk__Output>
  GetFile: MethodDefinition<_sluice_v1_GetFileRequest, _sluice_v1_FileChunk, _sluice_v1_GetFileRequest__Output, _sluice_v1_FileChunk__Output>
  Heartbeat: MethodDefinition<_sluice_v1_HeartbeatRequest, _sluice_v1_HeartbeatResponse, _sluice_v1_HeartbeatRequest__Output, _sluice_v1_HeartbeatResponse__Output>
  ListJobs: MethodDefinition<_sluice_v1_ListJobsRequest, _sluice_v1_ListJobsResponse, _sluice_v1_ListJobsRequest__Output, _sluice_v1_ListJobsResponse__Output>
  ListWorkers: MethodDefinition<_sluice_v1_ListWorkersRequest, _sluice_v1_ListWorkersResponse, _sluice_v1_ListWorkersRequest__Output, _sluice_v1_ListWorkersResponse__Output>
  ReceiverReports: MethodDefinition<_sluice_v1_ReceiverReport, _sluice_v1_ReceiverReportResponse, _sluice_v1_ReceiverReport__Output, _sluice_v1_ReceiverReportResponse__Output>
  RegisterWorker: MethodDefinition<_sluice_v1_RegisterWorkerRequest, _sluice_v1_RegisterWorkerResponse, _sluice_v1_RegisterWorkerRequest__Output, _sluice_v1_RegisterWorkerResponse__Output>
  StopJob: MethodDefinition<_sluice_v1_StopJobRequest, _sluice_v1_StopJobResponse, _sluice_v1_StopJobRequest__Output, _sluice_v1_StopJobResponse__Output>
  SubmitJob: MethodDefinition<_sluice_v1_SubmitJobRequest, _sluice_v1_JobEvent, _sluice_v1_SubmitJobRequest__Output, _sluice_v1_JobEvent__Output>
  WatchJob: MethodDefinition<_sluice_v1_WatchJobRequest, _sluice_v1_JobEvent, _sluice_v1_WatchJobRequest__Output, _sluice_v1_JobEvent__Output>
}
