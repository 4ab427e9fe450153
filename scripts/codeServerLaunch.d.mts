export declare const repoRoot: string;
export declare const userSettings: Record<string, unknown>;
export interface BoraDirs {
  modelsDir: string;
  stateDir: string;
}
export interface Launch {
  args: string[];
  env: NodeJS.ProcessEnv;
  url: string;
  dirs: { userData: string; extensions: string };
}
export declare function userBoraDirs(env?: NodeJS.ProcessEnv): BoraDirs;
export declare function prepareCodeServer(options: {
  base: string;
  port: number;
  folder: string;
  boraDirs: BoraDirs;
  extraSettings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  linkCheckout?: boolean;
}): Launch;
export declare function startLaunch(options: {
  port: number;
  folder: string;
  env?: NodeJS.ProcessEnv;
  base?: string;
}): Launch;
