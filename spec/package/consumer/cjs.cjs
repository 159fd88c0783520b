// Runs in a project that installed the packed tarball: the CommonJS entries, end to end against the gateway
// (./protocols is only loaded: its presets are for other servers).
const { WebSocket } = require('ws');
const { connect, SocketPipelineError } = require('rxjs-socket-pipeline');
const { AuthOk, ChatMessage, ReferenceGateway } = require('rxjs-socket-pipeline/testing');
const { genericJson, PRESETS } = require('rxjs-socket-pipeline/protocols');

if (typeof SocketPipelineError !== 'function') throw new Error('SocketPipelineError is not exported');
if (typeof genericJson !== 'function' || !PRESETS['generic-json']) throw new Error('./protocols is not exported');
if (!require('rxjs-socket-pipeline/package.json').version) throw new Error('package.json is not exported');

async function main() {
  const gateway = await ReferenceGateway.start();
  const session = connect({
    url: gateway.url,
    WebSocketCtor: WebSocket,
    inbound: ChatMessage,
    token: () => gateway.issueToken(),
    auth: { message: (token) => ({ type: 'auth', token }), ack: AuthOk },
  });
  const printed = new Set();
  session.state$.subscribe((state) => {
    if ((state.type === 'ready' || state.type === 'closed') && !printed.has(state.type)) {
      printed.add(state.type);
      console.log(state.type);
    }
  });
  const received = new Promise((resolve) => session.messages$.subscribe(resolve));
  session.invalid$.subscribe(() => undefined); // the 'accepted' answer is not a ChatMessage
  await session.send({ type: 'send', clientId: 'cjs-1', text: 'hello from cjs' });
  console.log(`message: ${(await received).text}`);
  session.close();
  await gateway.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
