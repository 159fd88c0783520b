// Runs in a project that installed the packed tarball: the ESM entries, end to end against the gateway
// (./protocols is only loaded: its presets are for other servers).
import * as t from 'io-ts';
import { WebSocket } from 'ws';
import { connect } from 'rxjs-socket-pipeline';
import { genericJson, PRESETS } from 'rxjs-socket-pipeline/protocols';
import { Accepted, AuthOk, ChatMessage, ReferenceGateway, SendRequest } from 'rxjs-socket-pipeline/testing';

if (typeof genericJson !== 'function' || !PRESETS['generic-json']) throw new Error('./protocols is not exported');
const gateway = await ReferenceGateway.start();
const session = connect({
  url: gateway.url,
  WebSocketCtor: WebSocket,
  inbound: t.union([ChatMessage, Accepted]),
  outbound: SendRequest,
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
const received = new Promise((resolve) => session.messages$.subscribe((message) => message.type === 'message' && resolve(message)));
await session.send({ type: 'send', clientId: 'esm-1', text: 'hello from esm' });
console.log(`message: ${(await received).text}`);
console.log(`accepted: ${gateway.accepted.map((accepted) => accepted.text).join(', ')}`);
session.close();
await gateway.close();
