import { SluiceError } from '@sluice/core';

/**
 * Credentials for Kinesis (Spark's SparkAWSCredentials.builder().basicCredentials(...)).
 * They travel to the workers with the receiver. Without them the AWS SDK's default chain
 * runs on each worker (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, the shared config file,
 * the instance or container role).
 */
export interface KinesisCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/**
 * Spark's SparkAWSCredentials builder, so `SparkAWSCredentials.builder().basicCredentials(keyId,
 * secret).build()` ports as written (to `kinesisCredentials(...)`); `build()` with no basic
 * credentials is the SDK's default chain (Spark's DefaultCredentials), given as `undefined`.
 * `stsCredentials(...)` (assume a role) is refused: Sluice has no STS settings, the SDK's default
 * chain on the workers takes a role from their profile or environment.
 */
export class SparkAWSCredentialsBuilder {
  private basic: KinesisCredentials | undefined;

  basicCredentials(accessKeyId: string, secretKey: string): this {
    this.basic = { accessKeyId, secretAccessKey: secretKey };
    return this;
  }

  stsCredentials(roleArn: string, sessionName?: string, externalId?: string): never {
    void sessionName;
    void externalId;
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `Kinesis: SparkAWSCredentials stsCredentials('${String(roleArn)}') cannot be honoured: Sluice has no STS role settings; remove .stsCredentials(...) and give the workers the role through the AWS SDK's default chain (AWS_ROLE_ARN with a web identity token, or a profile with role_arn in AWS_PROFILE)`,
    );
  }

  /** The credentials for `kinesisCredentials(...)`; undefined (the default chain) when none were given. */
  build(): KinesisCredentials | undefined {
    return this.basic;
  }
}

export const SparkAWSCredentials = {
  builder(): SparkAWSCredentialsBuilder {
    return new SparkAWSCredentialsBuilder();
  },
} as const;
