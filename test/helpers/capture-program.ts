import { execFileSync } from "child_process";
import * as path from "path";
import type { RegisteredResource } from "./mocks";

/**
 * Runs the Pulumi program (`index.ts`) under Pulumi's mocks in a process of its own, with the
 * given stack name and config (`<project>:<key>` -> value as the engine passes it, and the keys
 * that are secret), and returns every resource it registered with its inputs and the options the
 * deploy tests read (`retainOnDelete`). A process per run: the program can run again with another
 * config in the same test file (the SDK's mock monitor and the module cache are process-wide).
 */
export function captureProgram(stack: string, config: Record<string, string>, secretKeys: string[]): RegisteredResource[] {
  const out = execFileSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", path.join(__dirname, "capture-main.ts"), stack, JSON.stringify(config), JSON.stringify(secretKeys)],
    { cwd: path.join(__dirname, "..", ".."), encoding: "utf8", maxBuffer: 256 * 1024 * 1024, env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, "..", "..", "tsconfig.json") } },
  );
  const last = out.trim().split("\n").pop()!;
  return (JSON.parse(last) as { resources: RegisteredResource[] }).resources;
}
