/**
 * rxjs-socket-pipeline/testing: a strict reference gateway, its protocol codecs and a scripted
 * in-memory WebSocket, to test your own pipelines. Node-only (it runs a `ws` server): install `ws`.
 *
 * @example
 * import { ReferenceGateway } from 'rxjs-socket-pipeline/testing';
 * const gateway = await ReferenceGateway.start({ authTimeout: 1_000 });
 * console.log(gateway.url);
 * // ws://127.0.0.1:41234
 * await gateway.close();
 * @module
 */
export {
  ReferenceGateway,
  type AcceptedMessage,
  type GatewayEvent,
  type GatewayEventKind,
  type IssueTokenOptions,
  type MalformedKind,
  type ReferenceGatewayOptions,
  type RestartOptions,
} from './reference-gateway.js';
export * from './gateway-protocol.js';
export {
  ScriptedWebSocket,
  scriptedWebSocket,
  serverClose,
  serverFrame,
  serverOpen,
  type SentFrame,
  type ServerAction,
} from './scripted-web-socket.js';
export * from './protocol-gateways/index.js';
export { ChaosProxy, type ChaosFaultKind, type ChaosLinkInfo, type ChaosProxyOptions, type RandomCutsOptions } from './chaos-proxy.js';
export { seededRandom, randomInt } from './chaos/seeded-random.js';
