export { EngineHttpServer, type EngineHttpServerOptions } from "./EngineHttpServer.js";
export { remoteEngineFor, type RemoteEngineForOptions } from "./remoteEngineFor.js";
export { AjvToolValidator } from "./toolSchemaValidator.js";
