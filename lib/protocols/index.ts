/**
 * Protocol presets: plain configuration for `connect()`, one per protocol, to spread and override.
 * Browser-safe (no `ws`, no Node built-ins); the matching test gateways live in `testing`.
 * @module
 */
export { matchesPattern, toFrameMatcher, type FramePattern, type FrameSpec } from './frame-pattern.js';
export { authClosePolicy, type AuthClosePolicy, type PresetRetryConfig } from './auth-close-policy.js';
export * from './errors.js';
export { genericJson, type GenericJsonOptions, type GenericJsonPreset } from './generic-json.js';
export {
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  GRAPHQL_WS_CLOSE_CODES,
  GraphqlClientMessage,
  GraphqlCompleteMessage,
  GraphqlErrorMessage,
  GraphqlExecutionResult,
  GraphqlFormattedErrorCodec,
  GraphqlNextMessage,
  GraphqlRequest,
  GraphqlServerMessage,
  GraphqlSubscribeMessage,
  graphqlSubscribe,
  graphqlWs,
  type GraphqlConnectionParams,
  type GraphqlResult,
  type GraphqlSession,
  type GraphqlSubscribeOptions,
  type GraphqlWsOptions,
  type GraphqlWsPreset,
} from './graphql-ws.js';
export {
  GENESYS_HEALTH_CHECK_ID,
  GenesysErrorResponse,
  GenesysEvent,
  GenesysInbound,
  GenesysStructuredMessage,
  genesysWebMessaging,
  type GenesysOnMessage,
  type GenesysText,
  type GenesysWebMessagingOptions,
  type GenesysWebMessagingPreset,
} from './genesys-web-messaging.js';
export {
  GenesysNotification,
  genesysNotifications,
  isGenesysHeartbeat,
  isGenesysPong,
  isGenesysSocketClosing,
  type GenesysNotificationsOptions,
  type GenesysNotificationsPreset,
} from './genesys-notifications.js';
export { PRESETS, type PresetConnectConfig, type PresetEntry, type PresetInput, type PresetOption } from './registry.js';
