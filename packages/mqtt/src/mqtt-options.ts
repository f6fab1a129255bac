/** Options of MQTTUtils.createStream (the mqtt client's connection settings that Sluice uses). */
export interface MQTTStreamOptions {
  /**
   * 0: at most once (the broker forgets a message once sent; a dying worker loses what it had not stored).
   * 1 (default): at least once — the receiver is reliable: it acknowledges (PUBACK) a message only
   * once `store` made it durable, and with a persistent session the broker redelivers the rest.
   */
  readonly qos?: 0 | 1 | undefined;
  /**
   * The client id. Fixed by default (`sluice-<topics>`), so a restarted receiver resumes its
   * persistent session and gets what was not acknowledged. Give each stream of a job its own.
   */
  readonly clientId?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Keep the session (subscriptions, unacknowledged and queued messages) across reconnects. Default true (MQTT `clean: false`). */
  readonly persistentSession?: boolean | undefined;
  /** Seconds; default 30. */
  readonly keepalive?: number | undefined;
  /** Connect timeout in ms; default 10000. */
  readonly connectTimeoutMs?: number | undefined;
  /** Wait before reconnecting after the broker went away; default 1000 ms. */
  readonly reconnectPeriodMs?: number | undefined;
}

export interface ResolvedMQTTOptions {
  readonly qos: 0 | 1;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly persistentSession: boolean;
  readonly keepalive: number;
  readonly connectTimeoutMs: number;
  readonly reconnectPeriodMs: number;
}
