export * from "./methods.js";
export * from "./problems.js";
export * from "./settings.js";
export { protocolCompatible } from "./compat.js";
export { SecretOpener, sealSecret, SealedSecret, MAX_SEALED_DATA_CHARS } from "./sealedSecret.js";
export { SerialQueue } from "./serialQueue.js";
export {
  WebSocketMessageReader,
  WebSocketMessageWriter,
  MAX_WEBSOCKET_MESSAGE_BYTES,
  type MessageSocket,
} from "./webSocketMessages.js";
