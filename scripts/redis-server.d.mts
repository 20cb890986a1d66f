// Types for scripts/redis-server.mjs, so tests can import it under strict TypeScript.
import type { ChildProcess } from "node:child_process";

export declare const INSTALL_COMMAND: string;
export declare function findRedisServer(): string | null;
export declare function ensureRedisServer(log?: (s: string) => void): string;
export declare function freePort(): Promise<number>;

export interface RedisServer {
  port: number;
  dir: string;
  url: string;
  pid: number | undefined;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export interface StartOptions {
  binary?: string;
  port?: number;
  dir?: string;
  appendonly?: boolean;
  extraArgs?: string[];
}

export declare function startRedisServer(opts?: StartOptions): Promise<RedisServer>;
