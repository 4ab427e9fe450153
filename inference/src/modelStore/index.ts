export * from "./ModelStore.js";
export * from "./modelStoreErrors.js";
export * from "./modelUri.js";
export * from "./pullProgress.js";
export * from "./storeLocation.js";
export * from "./modelSelection.js";
