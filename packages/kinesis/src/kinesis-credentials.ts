/**
 * Credentials for Kinesis (Spark's SparkAWSCredentials.builder().basicCredentials(...)).
 * They travel to the workers with the receiver. Without them the AWS SDK's default chain
 * runs on each worker (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the shared config file,
 * the instance or container role).
 */
export interface KinesisCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}
