export declare const repoRoot: string;
export declare const userSettings: Record<string, unknown>;
export declare function prepareCodeServer(options: {
  base: string;
  port: number;
  folder: string;
  extraSettings?: Record<string, unknown>;
}): { args: string[]; env: NodeJS.ProcessEnv; url: string };
