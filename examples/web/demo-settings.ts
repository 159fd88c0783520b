/** What serve.ts tells the page (`GET /settings`); shared by the server and the page's script. */
export interface DemoSettings {
  /** The reference gateway: `ws://127.0.0.1:<port>`. */
  readonly gatewayUrl: string;
  /** Milliseconds between pings while ready. */
  readonly heartbeatInterval: number;
  /** Milliseconds a ping may wait for its pong before the connection counts as dead. */
  readonly heartbeatTimeout: number;
  /** Delay before the first reconnect (full jitter applies). */
  readonly retryInitialDelay: number;
  /** Longest delay between reconnects. */
  readonly retryMaxDelay: number;
}

/** The faults the page's buttons ask for, each answered by `POST /fault/<name>`. */
export type Fault = 'drop-all' | 'half-open' | 'expire-token' | 'restart';
