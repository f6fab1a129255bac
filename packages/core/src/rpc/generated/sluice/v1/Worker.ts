// Original file: proto/sluice/v1/sluice.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { BlockChunk as _sluice_v1_BlockChunk, BlockChunk__Output as _sluice_v1_BlockChunk__Output } from '../../sluice/v1/BlockChunk';
import type { FetchShuffleRequest as _sluice_v1_FetchShuffleRequest, FetchShuffleRequest__Output as _sluice_v1_FetchShuffleRequest__Output } from '../../sluice/v1/FetchShuffleRequest';
import type { GetBlockRequest as _sluice_v1_GetBlockRequest, GetBlockRequest__Output as _sluice_v1_GetBlockRequest__Output } from '../../sluice/v1/GetBlockRequest';
import type { KillTaskRequest as _sluice_v1_KillTaskRequest, KillTaskRequest__Output as _sluice_v1_KillTaskRequest__Output } from '../../sluice/v1/KillTaskRequest';
import type { KillTaskResponse as _sluice_v1_KillTaskResponse, KillTaskResponse__Output as _sluice_v1_KillTaskResponse__Output } from '../../sluice/v1/KillTaskResponse';
import type { MigrateBlocksRequest as _sluice_v1_MigrateBlocksRequest, MigrateBlocksRequest__Output as _sluice_v1_MigrateBlocksRequest__Output } from '../../sluice/v1/MigrateBlocksRequest';
import type { MigrateBlocksResponse as _sluice_v1_MigrateBlocksResponse, MigrateBlocksResponse__Output as _sluice_v1_MigrateBlocksResponse__Output } from '../../sluice/v1/MigrateBlocksResponse';
import type { PutBlockResponse as _sluice_v1_PutBlockResponse, PutBlockResponse__Output as _sluice_v1_PutBlockResponse__Output } from '../../sluice/v1/PutBlockResponse';
import type { ReceiverDescription as _sluice_v1_ReceiverDescription, ReceiverDescription__Output as _sluice_v1_ReceiverDescription__Output } from '../../sluice/v1/ReceiverDescription';
import type { ReleaseJobRequest as _sluice_v1_ReleaseJobRequest, ReleaseJobRequest__Output as _sluice_v1_ReleaseJobRequest__Output } from '../../sluice/v1/ReleaseJobRequest';
import type { ReleaseJobResponse as _sluice_v1_ReleaseJobResponse, ReleaseJobResponse__Output as _sluice_v1_ReleaseJobResponse__Output } from '../../sluice/v1/ReleaseJobResponse';
import type { RemoveBlocksRequest as _sluice_v1_RemoveBlocksRequest, RemoveBlocksRequest__Output as _sluice_v1_RemoveBlocksRequest__Output } from '../../sluice/v1/RemoveBlocksRequest';
import type { RemoveBlocksResponse as _sluice_v1_RemoveBlocksResponse, RemoveBlocksResponse__Output as _sluice_v1_RemoveBlocksResponse__Output } from '../../sluice/v1/RemoveBlocksResponse';
import type { RemoveBroadcastRequest as _sluice_v1_RemoveBroadcastRequest, RemoveBroadcastRequest__Output as _sluice_v1_RemoveBroadcastRequest__Output } from '../../sluice/v1/RemoveBroadcastRequest';
import type { RemoveBroadcastResponse as _sluice_v1_RemoveBroadcastResponse, RemoveBroadcastResponse__Output as _sluice_v1_RemoveBroadcastResponse__Output } from '../../sluice/v1/RemoveBroadcastResponse';
import type { RemoveRddRequest as _sluice_v1_RemoveRddRequest, RemoveRddRequest__Output as _sluice_v1_RemoveRddRequest__Output } from '../../sluice/v1/RemoveRddRequest';
import type { RemoveRddResponse as _sluice_v1_RemoveRddResponse, RemoveRddResponse__Output as _sluice_v1_RemoveRddResponse__Output } from '../../sluice/v1/RemoveRddResponse';
import type { ShuffleChunk as _sluice_v1_ShuffleChunk, ShuffleChunk__Output as _sluice_v1_ShuffleChunk__Output } from '../../sluice/v1/ShuffleChunk';
import type { StartReceiverResponse as _sluice_v1_StartReceiverResponse, StartReceiverResponse__Output as _sluice_v1_StartReceiverResponse__Output } from '../../sluice/v1/StartReceiverResponse';
import type { StopReceiverRequest as _sluice_v1_StopReceiverRequest, StopReceiverRequest__Output as _sluice_v1_StopReceiverRequest__Output } from '../../sluice/v1/StopReceiverRequest';
import type { StopReceiverResponse as _sluice_v1_StopReceiverResponse, StopReceiverResponse__Output as _sluice_v1_StopReceiverResponse__Output } from '../../sluice/v1/StopReceiverResponse';
import type { TaskBatch as _sluice_v1_TaskBatch, TaskBatch__Output as _sluice_v1_TaskBatch__Output } from '../../sluice/v1/TaskBatch';
import type { TaskOutcomeBatch as _sluice_v1_TaskOutcomeBatch, TaskOutcomeBatch__Output as _sluice_v1_TaskOutcomeBatch__Output } from '../../sluice/v1/TaskOutcomeBatch';

export interface WorkerClient extends grpc.Client {
  GetBlock(argument: _sluice_v1_GetBlockRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_BlockChunk__Output>;
  GetBlock(argument: _sluice_v1_GetBlockRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_BlockChunk__Output>;
  getBlock(argument: _sluice_v1_GetBlockRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_BlockChunk__Output>;
  getBlock(argument: _sluice_v1_GetBlockRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_sluice_v1_BlockChunk__Output>;
  
  KillTask(argument: _sluice_v1_KillTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  KillTask(argument: _sluice_v1_KillTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  KillTask(argument: _sluice_v1_KillTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  KillTask(argument: _sluice_v1_KillTaskRequest, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  killTask(argument: _sluice_v1_KillTaskRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  killTask(argument: _sluice_v1_KillTaskRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  killTask(argument: _sluice_v1_KillTaskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  killTask(argument: _sluice_v1_KillTaskRequest, callback: grpc.requestCallback<_sluice_v1_KillTaskResponse__Output>): grpc.ClientUnaryCall;
  
  MigrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  MigrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  MigrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  MigrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  migrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  migrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  migrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  migrateBlocks(argument: _sluice_v1_MigrateBlocksRequest, callback: grpc.requestCallback<_sluice_v1_MigrateBlocksResponse__Output>): grpc.ClientUnaryCall;
  
  PutBlock(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  PutBlock(metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  PutBlock(options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  PutBlock(callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  putBlock(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  putBlock(metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  putBlock(options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  putBlock(callback: grpc.requestCallback<_sluice_v1_PutBlockResponse__Output>): grpc.ClientWritableStream<_sluice_v1_BlockChunk>;
  
  ReleaseJob(argument: _sluice_v1_ReleaseJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  ReleaseJob(argument: _sluice_v1_ReleaseJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  ReleaseJob(argument: _sluice_v1_ReleaseJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  ReleaseJob(argument: _sluice_v1_ReleaseJobRequest, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  releaseJob(argument: _sluice_v1_ReleaseJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  releaseJob(argument: _sluice_v1_ReleaseJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  releaseJob(argument: _sluice_v1_ReleaseJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  releaseJob(argument: _sluice_v1_ReleaseJobRequest, callback: grpc.requestCallback<_sluice_v1_ReleaseJobResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveBlocks(argument: _sluice_v1_RemoveBlocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  RemoveBlocks(argument: _sluice_v1_RemoveBlocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  RemoveBlocks(argument: _sluice_v1_RemoveBlocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  RemoveBlocks(argument: _sluice_v1_RemoveBlocksRequest, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  removeBlocks(argument: _sluice_v1_RemoveBlocksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  removeBlocks(argument: _sluice_v1_RemoveBlocksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  removeBlocks(argument: _sluice_v1_RemoveBlocksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  removeBlocks(argument: _sluice_v1_RemoveBlocksRequest, callback: grpc.requestCallback<_sluice_v1_RemoveBlocksResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  RemoveBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  RemoveBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  RemoveBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  removeBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  removeBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  removeBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  removeBroadcast(argument: _sluice_v1_RemoveBroadcastRequest, callback: grpc.requestCallback<_sluice_v1_RemoveBroadcastResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveRdd(argument: _sluice_v1_RemoveRddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  RemoveRdd(argument: _sluice_v1_RemoveRddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  RemoveRdd(argument: _sluice_v1_RemoveRddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  RemoveRdd(argument: _sluice_v1_RemoveRddRequest, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  removeRdd(argument: _sluice_v1_RemoveRddRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  removeRdd(argument: _sluice_v1_RemoveRddRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  removeRdd(argument: _sluice_v1_RemoveRddRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  removeRdd(argument: _sluice_v1_RemoveRddRequest, callback: grpc.requestCallback<_sluice_v1_RemoveRddResponse__Output>): grpc.ClientUnaryCall;
  
  RunTasks(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_TaskBatch, _sluice_v1_TaskOutcomeBatch__Output>;
  RunTasks(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_TaskBatch, _sluice_v1_TaskOutcomeBatch__Output>;
  runTasks(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_TaskBatch, _sluice_v1_TaskOutcomeBatch__Output>;
  runTasks(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_TaskBatch, _sluice_v1_TaskOutcomeBatch__Output>;
  
  ShuffleStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_FetchShuffleRequest, _sluice_v1_ShuffleChunk__Output>;
  ShuffleStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_FetchShuffleRequest, _sluice_v1_ShuffleChunk__Output>;
  shuffleStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_FetchShuffleRequest, _sluice_v1_ShuffleChunk__Output>;
  shuffleStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_sluice_v1_FetchShuffleRequest, _sluice_v1_ShuffleChunk__Output>;
  
  StartReceiver(argument: _sluice_v1_ReceiverDescription, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  StartReceiver(argument: _sluice_v1_ReceiverDescription, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  StartReceiver(argument: _sluice_v1_ReceiverDescription, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  StartReceiver(argument: _sluice_v1_ReceiverDescription, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  startReceiver(argument: _sluice_v1_ReceiverDescription, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  startReceiver(argument: _sluice_v1_ReceiverDescription, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  startReceiver(argument: _sluice_v1_ReceiverDescription, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  startReceiver(argument: _sluice_v1_ReceiverDescription, callback: grpc.requestCallback<_sluice_v1_StartReceiverResponse__Output>): grpc.ClientUnaryCall;
  
  StopReceiver(argument: _sluice_v1_StopReceiverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  StopReceiver(argument: _sluice_v1_StopReceiverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  StopReceiver(argument: _sluice_v1_StopReceiverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  StopReceiver(argument: _sluice_v1_StopReceiverRequest, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  stopReceiver(argument: _sluice_v1_StopReceiverRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  stopReceiver(argument: _sluice_v1_StopReceiverRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  stopReceiver(argument: _sluice_v1_StopReceiverRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  stopReceiver(argument: _sluice_v1_StopReceiverRequest, callback: grpc.requestCallback<_sluice_v1_StopReceiverResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface WorkerHandlers extends grpc.UntypedServiceImplementation {
  GetBlock: grpc.handleServerStreamingCall<_sluice_v1_GetBlockRequest__Output, _sluice_v1_BlockChunk>;
  
  KillTask: grpc.handleUnaryCall<_sluice_v1_KillTaskRequest__Output, _sluice_v1_KillTaskResponse>;
  
  MigrateBlocks: grpc.handleUnaryCall<_sluice_v1_MigrateBlocksRequest__Output, _sluice_v1_MigrateBlocksResponse>;
  
  PutBlock: grpc.handleClientStreamingCall<_sluice_v1_BlockChunk__Output, _sluice_v1_PutBlockResponse>;
  
  ReleaseJob: grpc.handleUnaryCall<_sluice_v1_ReleaseJobRequest__Output, _sluice_v1_ReleaseJobResponse>;
  
  RemoveBlocks: grpc.handleUnaryCall<_sluice_v1_RemoveBlocksRequest__Output, _sluice_v1_RemoveBlocksResponse>;
  
  RemoveBroadcast: grpc.handleUnaryCall<_sluice_v1_RemoveBroadcastRequest__Output, _sluice_v1_RemoveBroadcastResponse>;
  
  RemoveRdd: grpc.handleUnaryCall<_sluice_v1_RemoveRddRequest__Output, _sluice_v1_RemoveRddResponse>;
  
  RunTasks: grpc.handleBidiStreamingCall<_sluice_v1_TaskBatch__Output, _sluice_v1_TaskOutcomeBatch>;
  
  ShuffleStream: grpc.handleBidiStreamingCall<_sluice_v1_FetchShuffleRequest__Output, _sluice_v1_ShuffleChunk>;
  
  StartReceiver: grpc.handleUnaryCall<_sluice_v1_ReceiverDescription__Output, _sluice_v1_StartReceiverResponse>;
  
  StopReceiver: grpc.handleUnaryCall<_sluice_v1_StopReceiverRequest__Output, _sluice_v1_StopReceiverResponse>;
  
}

export interface WorkerDefinition extends grpc.ServiceDefinition {
  GetBlock: MethodDefinition<_sluice_v1_GetBlockRequest, _sluice_v1_BlockChunk, _sluice_v1_GetBlockRequest__Output, _sluice_v1_BlockChunk__Output>
  KillTask: MethodDefinition<_sluice_v1_KillTaskRequest, _sluice_v1_KillTaskResponse, _sluice_v1_KillTaskRequest__Output, _sluice_v1_KillTaskResponse__Output>
  MigrateBlocks: MethodDefinition<_sluice_v1_MigrateBlocksRequest, _sluice_v1_MigrateBlocksResponse, _sluice_v1_MigrateBlocksRequest__Output, _sluice_v1_MigrateBlocksResponse__Output>
  PutBlock: MethodDefinition<_sluice_v1_BlockChunk, _sluice_v1_PutBlockResponse, _sluice_v1_BlockChunk__Output, _sluice_v1_PutBlockResponse__Output>
  ReleaseJob: MethodDefinition<_sluice_v1_ReleaseJobRequest, _sluice_v1_ReleaseJobResponse, _sluice_v1_ReleaseJobRequest__Output, _sluice_v1_ReleaseJobResponse__Output>
  RemoveBlocks: MethodDefinition<_sluice_v1_RemoveBlocksRequest, _sluice_v1_RemoveBlocksResponse, _sluice_v1_RemoveBlocksRequest__Output, _sluice_v1_RemoveBlocksResponse__Output>
  RemoveBroadcast: MethodDefinition<_sluice_v1_RemoveBroadcastRequest, _sluice_v1_RemoveBroadcastResponse, _sluice_v1_RemoveBroadcastRequest__Output, _sluice_v1_RemoveBroadcastResponse__Output>
  RemoveRdd: MethodDefinition<_sluice_v1_RemoveRddRequest, _sluice_v1_RemoveRddResponse, _sluice_v1_RemoveRddRequest__Output, _sluice_v1_RemoveRddResponse__Output>
  RunTasks: MethodDefinition<_sluice_v1_TaskBatch, _sluice_v1_TaskOutcomeBatch, _sluice_v1_TaskBatch__Output, _sluice_v1_TaskOutcomeBatch__Output>
  ShuffleStream: MethodDefinition<_sluice_v1_FetchShuffleRequest, _sluice_v1_ShuffleChunk, _sluice_v1_FetchShuffleRequest__Output, _sluice_v1_ShuffleChunk__Output>
  StartReceiver: MethodDefinition<_sluice_v1_ReceiverDescription, _sluice_v1_StartReceiverResponse, _sluice_v1_ReceiverDescription__Output, _sluice_v1_StartReceiverResponse__Output>
  StopReceiver: MethodDefinition<_sluice_v1_StopReceiverRequest, _sluice_v1_StopReceiverResponse, _sluice_v1_StopReceiverRequest__Output, _sluice_v1_StopReceiverResponse__Output>
}
