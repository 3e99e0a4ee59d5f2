import { ChildProcess, spawn } from "child_process";
import * as path from "path";

const SDK_DIR = path.dirname(require.resolve("@pulumi/pulumi/package.json"));

/**
 * Starts `cmd/run-plugin` as the Node language host's RunPlugin does: `node <run-plugin> <plugin
 * dir>` in the program's directory, with `PULUMI_NODEJS_TYPESCRIPT=true`; resolves with the port of
 * its gRPC server once it prints it (after ts-node has compiled the plugin). The caller kills it.
 */
export async function startRunPlugin(runPlugin: string, pluginDir: string, programDir: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: string }> {
  const child = spawn(process.execPath, [runPlugin, pluginDir], { cwd: programDir, env: { ...env, PULUMI_NODEJS_TYPESCRIPT: "true" }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout!.on("data", (d) => {
      stdout += d;
      const line = stdout.split("\n").find((l) => /^\d+$/.test(l.trim()));
      if (line) resolve(line.trim());
    });
    child.on("exit", (code) => reject(new Error(`run-plugin exited with ${code}: ${stdout}\n${stderr}`)));
  });
  return { child, port };
}

/** The schema a running plugin serves, asked over gRPC as the engine asks (this checkout's SDK's stubs). */
export async function servedSchema(port: string): Promise<any> {
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [SDK_DIR] }));
  const services = require("@pulumi/pulumi/proto/provider_grpc_pb");
  const messages = require("@pulumi/pulumi/proto/provider_pb");
  const client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const text = await new Promise<string>((resolve, reject) =>
      client.getSchema(new messages.GetSchemaRequest(), (err: Error | null, resp: any) => (err ? reject(err) : resolve(resp.getSchema()))),
    );
    return JSON.parse(text);
  } finally {
    client.close();
  }
}
