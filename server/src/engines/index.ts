export { EngineManager, roleSpecsFor, type ManagerDeps } from "./engineManager.js";
export { createEngineProvider, type EngineProvider, type EngineRole, type RoleSpecs } from "./engineProvider.js";
export * from "./engineSpec.js";
export { measuredEngine, type GenerationObserver } from "./measuredEngine.js";
export * from "./openEngine.js";
export {
  problemFor,
  shellWord,
  type CodedProblem,
  type FrontEnd,
  type ProblemCode,
  type UnavailableEngine,
} from "./problems.js";
export { AjvToolValidator, describeSchemaErrors } from "./toolArgumentsValidator.js";
