import * as t from 'io-ts';
import { asyncScheduler, interval, startWith, timer, type SchedulerLike, type Subscription } from 'rxjs';
import type { FrameMatcher } from '../frame-matcher.js';
import { matchesPattern, type FramePattern } from '../protocols/frame-pattern.js';
import { PRESETS, type PresetConnectConfig } from '../protocols/registry.js';
import { fromWebSocket } from '../from-web-socket.js';
import { connect, type ConnectConfig } from '../session/connect.js';
import type { SessionStateType } from '../session/session-state.js';
import type { WebSocketCtor } from '../web-socket-like.js';
import { diagnose } from './diagnosis.js';
import { tappedWebSocket } from './tapped-web-socket.js';
import { TimelinePrinter, type ProbeOutput } from './timeline-printer.js';

/** The placeholder `--auth` templates use for the token. */
export const TOKEN_PLACEHOLDER = '{{token}}';

/** What to probe and how; the CLI builds it from the command line. All times in ms. */
export interface ProbeOptions {
  /** The endpoint (`ws://` or `wss://`). */
  readonly url: string;
  /**
   * The auth frame as parsed JSON; every `{{token}}` in its strings is replaced by the token.
   * @default undefined (no auth: the probe succeeds once the socket opens)
   */
  readonly auth?: unknown;
  /**
   * Name of the environment variable holding the token (never a command-line argument, which
   * shell history and `ps` would show).
   * @default undefined
   */
  readonly tokenEnv?: string;
  /**
   * The ack, by example: a frame matches when it has all these fields with these values.
   * @default undefined (the first frame that is not a `reject` counts as the ack)
   */
  readonly ack?: FramePattern;
  /**
   * An explicit refusal, by example.
   * @default undefined
   */
  readonly reject?: FramePattern;
  /**
   * A ping frame to send every `interval` once ready (keeps the socket alive, proves it answers).
   * @default undefined (no ping)
   */
  readonly ping?: unknown;
  /**
   * The answer to `ping`, by example.
   * @default undefined (any frame answers)
   */
  readonly pong?: FramePattern;
  /**
   * Milliseconds between pings.
   * @default 25000
   */
  readonly interval?: number;
  /**
   * Deadline of each wait: the socket to open, the ack, a pong.
   * @default 10000
   */
  readonly timeout?: number;
  /**
   * How long to stay connected once ready, printing what arrives; 0 stops at once.
   * @default 0
   */
  readonly duration?: number;
  /**
   * Subprotocols offered in the handshake.
   * @default []
   */
  readonly subprotocols?: readonly string[];
  /**
   * Frames longer than this many characters are cut in the output.
   * @default 300
   */
  readonly maxFrame?: number;
  /**
   * One JSON object per line instead of text.
   * @default false
   */
  readonly json?: boolean;
  /**
   * Reconnects after a retryable failure before giving up; 0 diagnoses the first failure.
   * @default 0
   */
  readonly retries?: number;
  /**
   * Accept a plain `ws://` URL to another machine (the token would cross the network unencrypted).
   * @default false
   */
  readonly allowInsecure?: boolean;
  /**
   * A protocol preset (a name of `PRESETS` in lib/protocols) instead of `auth`/`ack`/`reject`/
   * `ping`/`pong`; the url and the token (from `tokenEnv`) are passed to it.
   * @default undefined
   */
  readonly preset?: string;
  /**
   * The preset's own options, as strings (`--opt name=value`).
   * @default {}
   */
  readonly presetOptions?: Readonly<Record<string, string>>;
}

/** The probe's surroundings, injected so tests control them. */
export interface ProbeIo {
  /** Where the timeline goes. */
  readonly stdout: ProbeOutput;
  /** Where `tokenEnv` is read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The WebSocket implementation (`ws` in Node). */
  readonly WebSocketCtor: WebSocketCtor;
  /**
   * Clock and timers.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Stops the probe early (Ctrl-C): the connection is closed and the verdict says so.
   * @default undefined
   */
  readonly signal?: AbortSignal;
}

/** How a probe ended. */
export interface ProbeVerdict {
  /** The auth was acknowledged (or, without `auth`, the socket opened) and nothing failed after. */
  readonly ok: boolean;
  /** 0 when `ok`, 1 otherwise. */
  readonly exitCode: 0 | 1;
  /** The last state before the end. */
  readonly phase: SessionStateType;
  /** Milliseconds from start to ready, when it got there. */
  readonly readyAfterMs: number | undefined;
  /** Plain words: what happened, in which phase, what to check. */
  readonly summary: string;
}

/**
 * Connects once (or with `retries`), authenticates with the given template and prints a live
 * timeline: each state with the elapsed ms, every frame in and out (the token redacted as `***`,
 * long frames cut), a countdown while waiting (on a terminal), and a verdict with a diagnosis.
 * Resolves with the verdict; throws a `TypeError` naming the option for unusable options.
 *
 * @example
 * const verdict = await probe(
 *   { url: 'ws://127.0.0.1:8080', auth: { type: 'auth', token: '{{token}}' }, tokenEnv: 'TOKEN', ack: { type: 'auth_ok' } },
 *   { stdout: process.stdout, env: process.env, WebSocketCtor: WebSocket },
 * );
 * //      0 ms  connecting      ws://127.0.0.1:8080
 * //      9 ms  authenticating  open; waiting up to 10 s for the ack
 * //      9 ms  → out           {"type":"auth","token":"***"}
 * //     12 ms  ← in            {"type":"auth_ok","sessionId":"9b1c…","expiresAt":1764003600000}
 * //     12 ms  ready           auth acknowledged 3 ms after open
 * // OK: authenticated in 12 ms.
 * process.exitCode = verdict.exitCode;
 */
export function probe(options: ProbeOptions, io: ProbeIo): Promise<ProbeVerdict> {
  const settings = normalise(options);
  const token = resolveToken(settings, io.env);
  const scheduler = io.scheduler ?? asyncScheduler;
  const startedAt = scheduler.now();
  const elapsed = () => Math.round(scheduler.now() - startedAt);
  const base = settings.preset === undefined ? flagsConfig(settings, token) : presetConfig(settings, token);
  const printer = new TimelinePrinter(io.stdout, {
    json: settings.json,
    secrets: base.secrets.flatMap(secretsOf),
    maxFrame: settings.maxFrame,
    elapsed,
  });
  const authenticates = base.config.auth !== undefined;
  /** The ack's deadline: --timeout, or a preset's own (--opt authTimeout/ackTimeout). */
  const ackTimeout = base.config.auth?.timeout ?? settings.timeout;

  return new Promise<ProbeVerdict>((resolve) => {
    let finished = false;
    let phase: SessionStateType = 'idle';
    let authStartedAt = 0;
    let readyAfterMs: number | undefined;
    let framesBeforeAck = 0;
    let countdown: Subscription | undefined;
    let watch: Subscription | undefined;
    let interrupted = false;

    const WebSocketCtor = tappedWebSocket(io.WebSocketCtor, (tap) => {
      if (finished) return;
      if (tap.type === 'frame') {
        if (tap.direction === 'in' && phase === 'authenticating') framesBeforeAck++;
        printer.frame(tap.direction, tap.data);
      } else if (tap.type === 'close-requested') {
        printer.event('close', `the probe closes the socket${tap.code === undefined ? '' : ` (${tap.code})`}`);
      } else {
        const { code, reason, wasClean } = tap;
        const shown = printer.redact(reason); // on its own: a piece of the token at its end is found there
        printer.event('closed', `${code}, ${shown ? `"${shown}"` : 'no reason'}, ${wasClean ? 'clean' : 'not clean'}`, {
          code,
          reason,
          wasClean,
        });
      }
    });

    const session = connect<unknown, unknown, unknown, unknown>({
      ...base.config,
      WebSocketCtor,
      allowInsecure: settings.allowInsecure,
      retry: settings.retries > 0 ? { initialDelay: 1000, maxDelay: 10_000, ...base.config.retry, maxAttempts: settings.retries } : false,
      connectTimeout: settings.timeout,
      grace: 0,
      scheduler,
    });

    const startCountdown = (label: (leftMs: number) => string, ms: number) => {
      if (!printer.live || !(ms > 0) || !Number.isFinite(ms)) return;
      const until = scheduler.now() + ms;
      countdown = interval(100, scheduler)
        .pipe(startWith(0))
        .subscribe(() => printer.status(label(Math.max(0, until - scheduler.now()))));
    };

    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      countdown?.unsubscribe();
      watch?.unsubscribe();
      io.signal?.removeEventListener('abort', abort);
      printer.status(undefined);
      const ok = error === undefined && readyAfterMs !== undefined && !interrupted;
      const summary = ok
        ? `OK: ${authenticates ? 'authenticated' : 'connected'} in ${readyAfterMs} ms` +
          (settings.duration > 0 ? `, and the connection stayed up for the ${settings.duration} ms watched.` : '.')
        : interrupted
          ? `INTERRUPTED while ${phase}${readyAfterMs === undefined ? ', before the session was ready' : ''}.`
          : `FAILED ${diagnose(redactedMessage(error, printer), { phase, authenticates, tokenEnv: settings.tokenEnv, framesBeforeAck, subprotocols: settings.subprotocols })}.`;
      const verdict: ProbeVerdict = { ok, exitCode: ok ? 0 : 1, phase, readyAfterMs, summary: printer.redact(summary) };
      printer.text(summary, { event: 'verdict', ...verdict, error: error instanceof Error ? errorFields(error) : undefined });
      resolve(verdict);
    };
    const abort = () => {
      interrupted = true;
      session.close();
    };

    const how = settings.preset !== undefined ? ` with the ${settings.preset} preset` : authenticates ? ' with an auth frame' : '';
    const ackNote = authenticates && ackTimeout !== settings.timeout ? `, ack ${ackTimeout} ms` : '';
    printer.text(`probe ${settings.url}${how} (timeout ${settings.timeout} ms${ackNote})`);
    session.state$.subscribe((state) => {
      if (finished) return;
      countdown?.unsubscribe();
      printer.status(undefined);
      if (state.type === 'closed') {
        finish(state.error);
        return;
      }
      phase = state.type;
      switch (state.type) {
        case 'connecting':
          printer.event('connecting', settings.url);
          startCountdown((left) => `connecting… ${seconds(left)} left`, settings.timeout);
          break;
        case 'authenticating':
          authStartedAt = scheduler.now();
          framesBeforeAck = 0;
          printer.event('authenticating', `open; waiting up to ${seconds(ackTimeout)} for the ack`);
          startCountdown((left) => `waiting for ack… ${seconds(left)} left`, ackTimeout);
          break;
        case 'ready':
          readyAfterMs = elapsed();
          printer.event(
            'ready',
            authenticates
              ? `auth acknowledged ${Math.round(scheduler.now() - authStartedAt)} ms after open`
              : 'open (no --auth: nothing to acknowledge)',
          );
          if (settings.duration > 0) {
            printer.event('watching', `for ${seconds(settings.duration)} (--duration)`);
            startCountdown((left) => `watching… ${seconds(left)} left`, settings.duration);
            watch ??= timer(settings.duration, scheduler).subscribe(() => session.close());
          } else {
            session.close();
          }
          break;
        case 'reauthenticating':
          printer.event('reauthenticating', `token ${state.trigger}: sending the auth frame again on this socket`);
          break;
        case 'reconnecting':
          printer.event(
            'reconnecting',
            `in ${seconds(state.delay)}, attempt ${state.attempt} of ${settings.retries}: ${describe(state.cause)}`,
          );
          startCountdown((left) => `reconnecting in ${seconds(left)}, attempt ${state.attempt}`, state.delay);
          break;
        case 'idle':
          break;
      }
    });
    session.invalid$.subscribe(); // frames are printed raw by the tap; no decode warnings
    session.messages$.subscribe({ error: () => undefined });
    if (io.signal?.aborted) abort();
    else io.signal?.addEventListener('abort', abort, { once: true });
  });
}

/** A session config without the parts the probe sets itself, and the strings never to print. */
interface BaseConfig {
  readonly config: PresetConnectConfig;
  readonly secrets: readonly string[];
}

/** The session the `--auth`/`--ack`/`--ping`... flags describe. */
function flagsConfig(settings: Settings, token: string | undefined): BaseConfig {
  const authenticates = settings.auth !== undefined;
  const config: ConnectConfig<unknown, unknown, string, unknown> = {
    url: settings.url,
    protocols: settings.subprotocols.length > 0 ? [...settings.subprotocols] : undefined,
    inbound: t.unknown,
    token: authenticates ? (token ?? '') : undefined,
    auth: authenticates
      ? {
          message: (value) => fillTemplate(settings.auth, value),
          ack: settings.ack ? matchesPattern(settings.ack) : notA(settings.reject),
          // With neither --ack nor --reject, an answer that calls itself an error is not an ack.
          reject: settings.reject ? matchesPattern(settings.reject) : settings.ack ? undefined : looksLikeRefusal,
          timeout: settings.timeout,
        }
      : undefined,
    heartbeat:
      settings.ping === undefined
        ? false
        : {
            interval: settings.interval,
            timeout: settings.timeout,
            ping: () => settings.ping,
            pong: settings.pong && matchesPattern(settings.pong),
          },
  };
  return { config: config as unknown as PresetConnectConfig, secrets: token ? [token] : [] };
}

/**
 * Preset options that set the ack's deadline. Given with `--opt`, they win over `--timeout` for
 * the ack (the more specific option wins); `--timeout` still bounds the open.
 */
const ACK_DEADLINE_OPTIONS = ['authTimeout', 'ackTimeout'] as const;

/** The session a protocol preset builds from the url, the token and `--opt` values. */
function presetConfig(settings: Settings, token: string | undefined): BaseConfig {
  const entry = Object.hasOwn(PRESETS, settings.preset!) ? PRESETS[settings.preset!] : undefined;
  if (!entry) throw new TypeError(`--preset: unknown preset "${settings.preset}"; known: ${Object.keys(PRESETS).join(', ')}`);
  const known = new Set(entry.options.map((option) => option.name));
  for (const name of Object.keys(settings.presetOptions)) {
    if (name === 'url' || name === 'token')
      throw new TypeError(`--opt ${name}: give the ${name === 'url' ? '<url> argument' : 'token with --token-env NAME'} instead`);
    if (!known.has(name)) throw new TypeError(`--opt ${name}: the ${settings.preset} preset has no such option (see --help)`);
  }
  const input = { ...settings.presetOptions, url: settings.url, token };
  const secretValues = entry.options.filter((option) => option.secret).map((option) => input[option.name as keyof typeof input]);
  const config = entry.create(input);
  // A preset may build the URL in a function (genesys-notifications: the URL is the credential),
  // which the session only calls when it connects: a plain ws:// URL to another machine would then
  // end the probe as a failure (exit 1). Check it now, as a string URL is, so it is a usage error.
  // fromWebSocket checks a string URL when the stream is created (naming the host only, never the
  // path or query) and opens nothing until subscribed.
  if (typeof config.url === 'function') fromWebSocket(config.url(), { allowInsecure: settings.allowInsecure });
  // The ack's deadline follows --timeout, unless an --opt set the preset's own.
  const ownAckDeadline = ACK_DEADLINE_OPTIONS.some((name) => settings.presetOptions[name] !== undefined);
  const auth = config.auth ? { ...config.auth, timeout: ownAckDeadline ? config.auth.timeout : settings.timeout } : undefined;
  return {
    config: { ...config, auth },
    secrets: secretValues.filter((value): value is string => typeof value === 'string' && value !== ''),
  };
}

/** Every string of `template` with `{{token}}` replaced by the token (on the parsed JSON, so quotes in a token stay safe). */
export function fillTemplate(template: unknown, token: string): unknown {
  if (typeof template === 'string') return template.split(TOKEN_PLACEHOLDER).join(token);
  if (Array.isArray(template)) return template.map((item) => fillTemplate(item, token));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([field, value]) => [field, fillTemplate(value, token)]));
  }
  return template;
}

type Settings = Required<Omit<ProbeOptions, 'auth' | 'tokenEnv' | 'ack' | 'reject' | 'ping' | 'pong' | 'preset'>> &
  Pick<ProbeOptions, 'auth' | 'tokenEnv' | 'ack' | 'reject' | 'ping' | 'pong' | 'preset'>;

function normalise(options: ProbeOptions): Settings {
  const {
    url,
    interval: pingInterval = 25_000,
    timeout = 10_000,
    duration = 0,
    subprotocols = [],
    maxFrame = 300,
    json = false,
    retries = 0,
    allowInsecure = false,
    presetOptions = {},
  } = options;
  // The URL is not echoed: for some gateways it is the credential (a notifications channel URL).
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) throw new TypeError('url must start with ws:// or wss://');
  const positive = (value: number, name: string) => {
    if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`${name} must be a number of ms > 0, got ${String(value)}`);
  };
  positive(pingInterval, '--interval');
  positive(timeout, '--timeout');
  if (!(Number.isFinite(duration) && duration >= 0)) throw new TypeError(`--duration must be a number of ms >= 0, got ${String(duration)}`);
  if (!(Number.isInteger(maxFrame) && maxFrame > 0)) throw new TypeError(`--max-frame must be a positive integer, got ${String(maxFrame)}`);
  if (!(Number.isInteger(retries) && retries >= 0)) throw new TypeError(`--retries must be an integer >= 0, got ${String(retries)}`);
  for (const [name, pattern] of [
    ['--ack', options.ack],
    ['--reject', options.reject],
    ['--pong', options.pong],
  ] as const) {
    if (pattern !== undefined && (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern))) {
      throw new TypeError(`${name} must be a JSON object (the fields a matching frame has), got ${JSON.stringify(pattern)}`);
    }
  }
  if (options.preset !== undefined) {
    const flags = [
      ['--auth', options.auth],
      ['--ack', options.ack],
      ['--reject', options.reject],
      ['--ping', options.ping],
      ['--pong', options.pong],
    ] as const;
    for (const [name, value] of flags) {
      if (value !== undefined)
        throw new TypeError(`${name} cannot be combined with --preset: the preset defines it (change it with --opt name=value)`);
    }
    if (subprotocols.length > 0) throw new TypeError('--subprotocol cannot be combined with --preset: the preset chooses the subprotocol');
  } else if (Object.keys(presetOptions).length > 0) {
    throw new TypeError('--opt needs --preset');
  } else if (options.auth === undefined) {
    for (const [name, value] of [
      ['--ack', options.ack],
      ['--reject', options.reject],
      ['--token-env', options.tokenEnv],
    ] as const) {
      if (value !== undefined) throw new TypeError(`${name} needs --auth (the auth frame to send)`);
    }
  }
  if (options.pong !== undefined && options.ping === undefined) throw new TypeError('--pong needs --ping (the frame it answers)');
  return {
    ...options,
    url,
    interval: pingInterval,
    timeout,
    duration,
    subprotocols,
    maxFrame,
    json,
    retries,
    allowInsecure,
    presetOptions,
  };
}

function resolveToken(settings: Settings, env: ProbeIo['env']): string | undefined {
  const needsToken = settings.auth !== undefined && JSON.stringify(settings.auth).includes(TOKEN_PLACEHOLDER);
  if (settings.tokenEnv === undefined) {
    if (needsToken) {
      throw new TypeError(`--auth uses ${TOKEN_PLACEHOLDER}: name the environment variable that holds the token with --token-env NAME`);
    }
    return undefined;
  }
  // Not echoed unless it looks like a variable name: passing the token itself here is a common slip.
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(settings.tokenEnv)) {
    throw new TypeError('--token-env takes the NAME of an environment variable (letters, digits, _), not the token itself');
  }
  const token = env[settings.tokenEnv];
  if (!token) throw new TypeError(`--token-env: the environment variable ${settings.tokenEnv} is not set or is empty`);
  if (!needsToken && settings.preset === undefined) {
    throw new TypeError(`--token-env is given but --auth has no ${TOKEN_PLACEHOLDER} to put the token in`);
  }
  return token;
}

/**
 * The token as it may appear in output: as is, JSON-escaped, URL-encoded (the printer also finds
 * each of these behind any JSON escaping or percent-encoding: `\/`, `\uXXXX`, `%2b`, `%252B`...;
 * the encoded forms are kept for a cut piece, which may end in the middle of an escape).
 */
function secretsOf(token: string | undefined): string[] {
  if (!token) return [];
  return [...new Set([token, JSON.stringify(token).slice(1, -1), encodeURIComponent(token)])].filter(Boolean);
}

/**
 * `error` with its message redacted on its own, for the verdict: the library clips a server's text
 * (an auth reject reason at 200 characters, then `...`) and that text ends the message, so a token
 * the clip cut in two leaves its start at the end of the message or before the `...`, where the
 * redaction finds it (the library redacts the token as it sent it before it clips; not one the
 * server quoted URL-encoded or JSON-escaped). Composed into
 * the verdict (`. Check: ...` after it), it would no longer be at an end. The result is still an
 * instance of the error's class (its prototype is the error), for the diagnosis.
 */
function redactedMessage(error: unknown, printer: TimelinePrinter): unknown {
  if (!(error instanceof Error)) return printer.redact(String(error));
  const message = printer.redact(error.message);
  return message === error.message ? error : (Object.create(error, { message: { value: message } }) as Error);
}

/** Without `--ack`: any frame that is not a reject. */
function notA(reject: FramePattern | undefined): FrameMatcher {
  if (!reject) return (frame) => !looksLikeRefusal(frame);
  const isReject = matchesPattern(reject);
  return (frame) => !isReject(frame);
}

const REFUSAL_WORDS = /error|fail|denied|unauthori[sz]ed|forbidden|invalid|reject|expired/i;
const REFUSAL_FIELDS = ['type', 'action', 'status', 'event', 'result', 'code'] as const;

/** A frame whose type-like field names a refusal (`{"type":"auth_error"}`, `{"status":"failed"}`). */
function looksLikeRefusal(frame: unknown): boolean {
  if (typeof frame !== 'object' || frame === null) return false;
  const record = frame as Record<string, unknown>;
  return REFUSAL_FIELDS.some((field) => typeof record[field] === 'string' && REFUSAL_WORDS.test(record[field] as string));
}

function seconds(ms: number): string {
  return ms >= 10_000 || ms % 1000 === 0 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function errorFields(error: Error): Record<string, unknown> {
  const json = (error as { toJSON?: () => Record<string, unknown> }).toJSON;
  return typeof json === 'function' ? json.call(error) : { name: error.name, message: error.message };
}
