export * from "./methods.js";
export * from "./settings.js";
export { protocolCompatible } from "./compat.js";
export { SecretOpener, sealSecret, type SealedSecret } from "./sealedSecret.js";
