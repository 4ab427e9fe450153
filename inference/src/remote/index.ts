export * from "./RemoteEngine.js";
export * from "./presets.js";
export * from "./remoteErrors.js";
export { parseSse, type SseEvent } from "./sse.js";
export * from "./toolCallAssembler.js";
export * from "./wireMessages.js";
