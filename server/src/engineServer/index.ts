export { EngineHttpServer, type EngineHttpServerOptions } from "./EngineHttpServer.js";
