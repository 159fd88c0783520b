/**
 * Strict protocol gateways on `ws` (127.0.0.1), one per preset of `lib/protocols`, with faults on
 * demand, for end-to-end tests of sessions built on those presets. Node-only.
 * @module
 */
export { GatewayHost, type GatewayHandlers, type HostedSocket, type ProtocolGatewayEvent } from './gateway-host.js';
export { ACTION_AUTH_SHAPE, GenericJsonGateway, GUEST_AUTH_SHAPE, type GenericJsonGatewayOptions } from './generic-json-gateway.js';
export {
  GenesysWebMessagingGateway,
  type GenesysAcceptedMessage,
  type GenesysWebMessagingGatewayOptions,
} from './genesys-web-messaging-gateway.js';
export { GenesysNotificationsGateway, type GenesysNotificationsGatewayOptions } from './genesys-notifications-gateway.js';
