import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import { format, inspect } from 'node:util';
import { firstValueFrom, filter, timeout } from 'rxjs';
import sinon from 'sinon';
import { WebSocket, WebSocketServer } from 'ws';
import { runCli } from '../../lib/cli/cli.js';
import { connect, type ConnectConfig, type SocketSession } from '../../lib/session/connect.js';
import type { SessionState } from '../../lib/session/session-state.js';
import { AuthError, AuthExpired, AuthOk, ChatMessage, Pong, type SendRequest } from '../../lib/testing/gateway-protocol.js';
import { ReferenceGateway } from '../../lib/testing/reference-gateway.js';
import type { WebSocketCtor } from '../../lib/web-socket-like.js';
import { until } from './tcp-fixtures.js';

/** A token nobody would write by accident; the gateway does not know it, so it is refused. */
const CANARY = 'CANARY-tok-5f0c2b9e-do-not-log';
const WAIT = 8_000;

/**
 * Everything an app or its logs could see: console lines, states, errors (message, String, JSON,
 * inspect with causes), URLs handed to the WebSocket, the gateway's own timeline, CLI output.
 */
class Exposure {
  readonly texts: { where: string; text: string }[] = [];
  readonly urls: string[] = [];
  /** Every token handed to the library; all of them must stay out of `texts`. */
  readonly secrets = new Set<string>([CANARY]);

  add(where: string, text: string): void {
    this.texts.push({ where, text });
  }

  /** Records a value the way apps log it: JSON, String, and util.inspect (what console.log prints). */
  addValue(where: string, value: unknown): void {
    this.add(`${where} (inspect)`, inspect(value, { depth: 8 }));
    try {
      this.add(`${where} (JSON)`, JSON.stringify(value) ?? '');
    } catch (error) {
      this.add(`${where} (JSON failed)`, String(error));
    }
    if (value instanceof Error) {
      this.add(`${where} (String)`, String(value));
      this.add(`${where} (stack)`, value.stack ?? '');
    }
  }

  /** A WebSocket constructor that records every URL it is given. */
  recordingCtor(): WebSocketCtor {
    const urls = this.urls;
    return class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        urls.push(url);
        super(url, protocols);
      }
    } as unknown as WebSocketCtor;
  }

  /** Lines where a secret shows, for a readable failure. */
  leaks(): string[] {
    const found: string[] = [];
    for (const secret of this.secrets) {
      for (const { where, text } of this.texts) if (text.includes(secret)) found.push(`${where}: ${text.slice(0, 200)}`);
      for (const url of this.urls) if (url.includes(secret)) found.push(`url: ${url}`);
    }
    return found;
  }
}

/** Captures console.* while a scenario runs (the library's default invalid-frame warning goes there). */
function captureConsole(exposure: Exposure): () => void {
  const stubs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
    sinon.stub(console, level).callsFake((...args: unknown[]) => exposure.add(`console.${level}`, format(...args))),
  );
  return () => stubs.forEach((stub) => stub.restore());
}

/** Follows a session: every state, error, invalid frame and dropped send goes into the exposure. */
function watch<In, Out>(session: SocketSession<In, Out>, exposure: Exposure): void {
  session.state$.subscribe((state) => exposure.addValue(`state ${state.type}`, state));
  session.dropped$.subscribe((dropped) => exposure.addValue('dropped$', dropped.error));
  session.messages$.subscribe({ error: (error: unknown) => exposure.addValue('messages$ error', error) });
}

const waitState = <In, Out>(session: SocketSession<In, Out>, type: SessionState['type']) =>
  firstValueFrom(
    session.state$.pipe(
      filter((state) => state.type === type),
      timeout(WAIT),
    ),
  );

describe('a canary token never leaks (errors, states, logs, URLs, CLI output)', function () {
  this.timeout(30_000);
  let gateway: ReferenceGateway;
  let exposure: Exposure;
  let restoreConsole: () => void;

  beforeEach(() => {
    exposure = new Exposure();
    restoreConsole = captureConsole(exposure);
  });

  afterEach(async () => {
    restoreConsole();
    await gateway?.close();
    // The gateway's timeline is part of what an operator reads.
    if (gateway) exposure.add('gateway.events', JSON.stringify(gateway.events));
    expect(exposure.leaks()).to.deep.equal([]);
    expect(exposure.texts.length).to.be.greaterThan(0);
  });

  const sessionConfig = (token: () => string): ConnectConfig<ChatMessage, SendRequest> => ({
    url: gateway.url,
    WebSocketCtor: exposure.recordingCtor(),
    inbound: ChatMessage,
    token,
    auth: {
      message: (value, { lastId }) => ({ type: 'auth', token: value, ...(lastId === undefined ? {} : { resumeFrom: lastId }) }),
      ack: AuthOk,
      reject: AuthError,
      expired: AuthExpired,
      timeout: 2_000,
    },
    heartbeat: { interval: 100, timeout: 200, ping: () => ({ type: 'ping' }), pong: Pong },
    retry: { initialDelay: 10, maxDelay: 50 },
    sendAck: { keyOf: (message) => message.clientId, ackedKey: (frame) => (Accepted(frame) ? frame.clientId : undefined) },
    resume: { idOf: (message) => message.id },
  });

  it('through a whole session life: auth, sends, expiry and re-auth, drops, half-open, bad frames, a restart, close', async () => {
    gateway = await ReferenceGateway.start({ explicitErrors: true, reauthGrace: 3_000 });
    const issue = () => {
      const token = gateway.issueToken({ subject: 'canary' });
      exposure.secrets.add(token);
      return token;
    };
    const session = connect(sessionConfig(issue));
    watch(session, exposure);
    await waitState(session, 'ready');
    const receipts = [session.send({ type: 'send', clientId: 'c1', text: 'one' })];
    // Settled first, so this scenario stays simple; a send racing an expiry is the soak's business.
    await receipts[0];
    gateway.expireTokens();
    await until(() => gateway.events.some((event) => event.kind === 'reauth_ok'), 're-auth');
    gateway.sendMalformed('json'); // nobody listens to invalid$: the default warning goes to console.warn
    gateway.sendMalformed('schema');
    gateway.sendMalformed('binary');
    gateway.dropAll();
    await waitState(session, 'ready');
    receipts.push(session.send({ type: 'send', clientId: 'c2', text: 'two' }));
    gateway.goHalfOpen();
    await waitState(session, 'reconnecting');
    await waitState(session, 'ready');
    await gateway.restart({ downMs: 50 });
    await waitState(session, 'ready');
    for (const receipt of receipts) await receipt;
    session.close();
    receipts.push(session.send({ type: 'send', clientId: 'c3', text: 'late' }));
    await receipts[2]!.then(
      () => undefined,
      (error: unknown) => exposure.addValue('send after close', error),
    );
    expect(exposure.texts.some(({ where }) => where.startsWith('console.warn'))).to.equal(true);
    expect(exposure.texts.some(({ where }) => where.startsWith('state reconnecting'))).to.equal(true);
  });

  it('when the server refuses the token in words (AuthRejectedError)', async () => {
    gateway = await ReferenceGateway.start({ explicitErrors: true });
    const session = connect({ ...sessionConfig(() => CANARY), retry: false });
    watch(session, exposure);
    const closed = await waitState(session, 'closed');
    expect((closed as { error?: Error }).error?.name).to.equal('AuthRejectedError');
  });

  it('when the server refuses it with a silent close (AuthClosedError), retried then given up', async () => {
    gateway = await ReferenceGateway.start();
    const session = connect({ ...sessionConfig(() => CANARY), retry: { initialDelay: 1, maxDelay: 5, maxAttempts: 2 } });
    watch(session, exposure);
    const closed = await waitState(session, 'closed');
    expect((closed as { error?: Error }).error?.name).to.equal('RetryExhaustedError');
  });

  it('when no ack comes (AuthTimeoutError) and when the token provider fails (TokenProviderError)', async () => {
    gateway = await ReferenceGateway.start();
    const silent = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => silent.once('listening', () => resolve()));
    try {
      const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const mute = connect({
        ...sessionConfig(() => CANARY),
        url,
        retry: false,
        auth: { ...sessionConfig(() => CANARY).auth!, timeout: 100 },
      });
      watch(mute, exposure);
      expect(((await waitState(mute, 'closed')) as { error?: Error }).error?.name).to.equal('AuthTimeoutError');
      const failing = connect({
        ...sessionConfig(() => {
          throw new Error('the identity provider answered 503');
        }),
        retry: false,
      });
      watch(failing, exposure);
      expect(((await waitState(failing, 'closed')) as { error?: Error }).error?.name).to.equal('TokenProviderError');
    } finally {
      for (const client of silent.clients) client.terminate();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('in the probe CLI output, text and JSON, for a good token, a wrong schema and a refused token', async () => {
    gateway = await ReferenceGateway.start({ explicitErrors: true, authTimeout: 1_000 });
    const goodToken = gateway.issueToken();
    exposure.secrets.add(goodToken);
    const run = async (label: string, token: string, args: string[]) => {
      const chunks: string[] = [];
      const output = { write: (chunk: string) => chunks.push(chunk), isTTY: false };
      const exitCode = await runCli(['probe', gateway.url, '--token-env', 'TOKEN', '--timeout', '1000', ...args], {
        stdout: output,
        stderr: output,
        env: { TOKEN: token },
        WebSocketCtor: exposure.recordingCtor(),
      });
      const text = chunks.join('');
      exposure.add(`probe ${label}`, text);
      return { exitCode, text };
    };
    /** The verdict of a --json run: its last line. */
    const verdictOf = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as { event?: string; ok?: boolean; phase?: string };
    const ack = ['--ack', '{"type":"auth_ok"}', '--reject', '{"type":"auth_error"}'];
    const good = await run('good', goodToken, ['--auth', '{"type":"auth","token":"{{token}}"}', ...ack]);
    expect(good.exitCode, good.text).to.equal(0);
    expect(good.text).to.match(/\nOK: authenticated in \d+ ms\.\n$/);
    const goodJson = await run('good --json', goodToken, ['--auth', '{"type":"auth","token":"{{token}}"}', ...ack, '--json']);
    expect(goodJson.exitCode, goodJson.text).to.equal(0);
    expect(verdictOf(goodJson.text)).to.deep.include({ event: 'verdict', ok: true, phase: 'ready' });
    const wrongSchema = await run('wrong schema', goodToken, ['--auth', '{"type":"auth","jwt":"{{token}}"}', ...ack]);
    expect(wrongSchema.exitCode, wrongSchema.text).to.equal(1);
    expect(wrongSchema.text).to.match(
      /\nFAILED while authenticating: the server rejected the auth frame \(authenticating\): invalid schema/,
    );
    const refused = await run('refused', CANARY, ['--auth', '{"type":"auth","token":"{{token}}"}', ...ack]);
    expect(refused.exitCode, refused.text).to.equal(1);
    expect(refused.text).to.match(/\nFAILED while authenticating: the server rejected the auth frame \(authenticating\): invalid token/);
    const refusedJson = await run('refused --json', CANARY, ['--auth', '{"type":"auth","token":"{{token}}"}', ...ack, '--json']);
    expect(refusedJson.exitCode, refusedJson.text).to.equal(1);
    expect(verdictOf(refusedJson.text)).to.deep.include({ event: 'verdict', ok: false, phase: 'authenticating' });
    // Each run opened a socket and printed its auth frame, the token masked: the leak check has something to miss.
    for (const { text } of [good, wrongSchema, refused]) expect(text).to.match(/→ out +\{"type":"auth","(token|jwt)":"\*\*\*"\}\n/);
    for (const { text } of [goodJson, refusedJson]) expect(text).to.include('"data":"{\\"type\\":\\"auth\\",\\"token\\":\\"***\\"}"');
    expect(exposure.urls, 'sockets the probe opened').to.have.length(5);
    expect(exposure.texts.filter(({ where }) => where.startsWith('probe'))).to.have.length(5);
  });
});

function Accepted(frame: unknown): frame is { type: 'accepted'; clientId: string } {
  const value = frame as { type?: unknown; clientId?: unknown } | null;
  return value !== null && typeof value === 'object' && value.type === 'accepted' && typeof value.clientId === 'string';
}

describe('the canary detector', () => {
  it('finds a planted token in any recorded text, inspected error cause, or URL', () => {
    const exposure = new Exposure();
    exposure.addValue('error', new Error('wrapped', { cause: new Error(`upstream said ${CANARY}`) }));
    exposure.urls.push(`ws://127.0.0.1:1/?token=${CANARY}`);
    const leaks = exposure.leaks();
    expect(leaks.some((line) => line.startsWith('error (inspect)'))).to.equal(true); // found in the cause
    expect(leaks.some((line) => line.startsWith('url: '))).to.equal(true);
  });
});
