/**
 * `npm run toolchain:opensearch`: assembles a runnable OpenSearch node, at exactly the release
 * `images.opensearch` pins, from Maven Central (the only place these machines can get it from):
 *
 *   <cacheBase()>/opensearch/<version>/
 *     lib/                          org.opensearch:opensearch and its runtime dependencies, + its optional ones (log4j-core, jts, spatial4j) and opensearch-plugin-classloader, as the distribution ships them
 *     agent/                        org.opensearch:opensearch-agent (the JDK 24+ replacement of the security manager), started by -javaagent as upstream's jvm.options does
 *     modules/transport-netty4/     org.opensearch.plugin:transport-netty4-client and the netty jars lib/ lacks, with a plugin-descriptor.properties of ours
 *     modules/rule-framework/       a stand-in of ours (see RULE_FRAMEWORK_STAND_IN) + the commons-collections4 the real one exports: the real module is not on Maven Central and the security plugin extends it
 *     plugins/opensearch-security/  org.opensearch.plugin:opensearch-security:<version>.0, the installable zip, unzipped as `opensearch-plugin install` would
 *     config/                       jvm.options and log4j2.properties of ours; opensearch-security/ the plugin's own sample config
 *     bin/                          empty: the node only checks it is there (the tests start java themselves)
 *     .assembled                    the marker: the version, written last
 *
 * Not assembled, because Maven Central does not serve them at this release: the index-management
 * (ISM) and job-scheduler plugins, and the distribution's other modules (painless, reindex, ...):
 * the node answers the APIs the stack's setup uses except ISM's.
 *
 * Idempotent: with the marker present it prints "present" and exits. Each run builds in a
 * staging folder renamed into place at the end, so an interrupted run leaves nothing half-made.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { images } from "../../components/shared/versions";
import { cacheBase, imageTag } from "./recipes";

/** OpenSearch 3.x needs Java 21+; the tests run it on this machine's Temurin 25 (`OPENSEARCH_JAVA_HOME` overrides). */
export function opensearchJavaHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.OPENSEARCH_JAVA_HOME || "/usr/lib/jvm/temurin-25-jdk-amd64";
}

/** The pinned release, read from the image tag (`3.4.0`). */
export function opensearchVersion(): string {
  return imageTag(images.opensearch);
}

/** The security plugin's release for a server release: plugins add a fourth number (`3.4.0.0`). */
export function securityPluginVersion(version: string = opensearchVersion()): string {
  return `${version}.0`;
}

/** Where the assembled node lives. */
export function opensearchHomeDir(env: NodeJS.ProcessEnv = process.env, version: string = opensearchVersion()): string {
  return path.join(cacheBase(env), "opensearch", version);
}

export const MARKER = ".assembled";

/** True when the home at the pinned version is complete (its marker names the version). */
export function isAssembled(home: string = opensearchHomeDir(), version: string = opensearchVersion()): boolean {
  const marker = path.join(home, MARKER);
  return fs.existsSync(marker) && fs.readFileSync(marker, "utf8").trim() === version;
}

/**
 * The JVM flags of ours, written to config/jvm.options: upstream's jvm.options keeps G1, UTF-8,
 * netty without Unsafe, log4j without JMX or lookups, the vector module and the agent; the heap
 * and temp dir are the caller's.
 */
const JVM_OPTIONS = [
  "## Rendered by scripts/toolchain/opensearch.ts: the flags of upstream's jvm.options that matter here.",
  "## Heap (-Xms/-Xmx) and -Djava.io.tmpdir are given by whoever starts the node; paths are relative to OPENSEARCH_HOME.",
  "-XX:+UseG1GC",
  "-XX:-OmitStackTraceInFastThrow",
  "-Dfile.encoding=UTF-8",
  "-Djava.awt.headless=true",
  "-Djna.nosys=true",
  "-Djava.locale.providers=SPI,CLDR",
  "-Dio.netty.noUnsafe=true",
  "-Dio.netty.noKeySetOptimization=true",
  "-Dio.netty.recycler.maxCapacityPerThread=0",
  "-Dlog4j.shutdownHookEnabled=false",
  "-Dlog4j2.disable.jmx=true",
  "-Dlog4j2.formatMsgNoLookups=true",
  "--add-modules=jdk.incubator.vector",
  "-javaagent:agent/opensearch-agent.jar",
  "",
].join("\n");

/** Everything to the console: whoever starts the node keeps its output. */
const LOG4J2_PROPERTIES = [
  "# Rendered by scripts/toolchain/opensearch.ts: console only, the caller keeps the output.",
  "status = error",
  "appender.console.type = Console",
  "appender.console.name = console",
  "appender.console.layout.type = PatternLayout",
  "appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
  "rootLogger.level = info",
  "rootLogger.appenderRef.console.ref = console",
  "",
].join("\n");

/**
 * The security plugin's descriptor says `extended.plugins=workload-management;optional=true,rule-framework`:
 * without a plugin named rule-framework the node refuses to start. The real one is a module of the
 * distribution (modules/autotagging-commons) that Maven Central does not serve; the security
 * plugin only registers an attribute extension with it (auto-tagging of requests for workload
 * management), which this node does not use. So a class of ours, an extensible plugin that does nothing, takes its name.
 */
const RULE_FRAMEWORK_STAND_IN = {
  className: "org.pulumiobservability.opensearch.RuleFrameworkStandIn",
  source: [
    "package org.pulumiobservability.opensearch;",
    "",
    "import org.opensearch.plugins.ExtensiblePlugin;",
    "import org.opensearch.plugins.Plugin;",
    "",
    "/** Takes the name rule-framework so the security plugin, which extends it, loads; registers nothing. */",
    "public final class RuleFrameworkStandIn extends Plugin implements ExtensiblePlugin {}",
    "",
  ].join("\n"),
};

/** What modules/autotagging-commons declares as `api` (its build.gradle at 3.4): plugins extending it load it from there. */
const RULE_FRAMEWORK_EXPORTS = { groupId: "org.apache.commons", artifactId: "commons-collections4", version: "4.4" };

/** A module's plugin-descriptor.properties, as the distribution's modules carry one. */
export function pluginDescriptor(p: { name: string; description: string; classname: string; version: string; extended?: string[] }): string {
  return [
    "# Written by scripts/toolchain/opensearch.ts",
    `description=${p.description}`,
    `version=${p.version}`,
    `name=${p.name}`,
    `classname=${p.classname}`,
    "java.version=21",
    `opensearch.version=${p.version}`,
    `extended.plugins=${(p.extended ?? []).join(",")}`,
    "has.native.controller=false",
    "",
  ].join("\n");
}

/** A pom that only lists dependencies, for `mvn dependency:copy-dependencies`. */
function pom(deps: { groupId: string; artifactId: string; version: string; type?: string }[]): string {
  const lines = deps.map(
    (d) => `    <dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version>${d.type ? `<type>${d.type}</type>` : ""}</dependency>`,
  );
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    "  <modelVersion>4.0.0</modelVersion>",
    "  <groupId>pulumi-observability.toolchain</groupId>",
    "  <artifactId>opensearch-assembly</artifactId>",
    "  <version>1</version>",
    "  <packaging>pom</packaging>",
    "  <dependencies>",
    ...lines,
    "  </dependencies>",
    "</project>",
    "",
  ].join("\n");
}

/** Copies the runtime dependencies (transitively) of `deps` into `outDir`, through the local Maven repository. */
function mavenCopy(work: string, name: string, deps: Parameters<typeof pom>[0], outDir: string): void {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "pom.xml"), pom(deps));
  const r = spawnSync("mvn", ["-B", "-q", "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${outDir}`], { cwd: dir, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`mvn copy-dependencies (${name}) failed (exit ${r.status}):\n${`${r.stdout}${r.stderr}`.trim().split("\n").slice(-30).join("\n")}`);
}

/** The `<optional>true</optional>` dependencies of a pom: the distribution ships them, Maven leaves them out. */
export function optionalDependencies(pomText: string): { groupId: string; artifactId: string; version: string }[] {
  const out: { groupId: string; artifactId: string; version: string }[] = [];
  for (const [, block] of pomText.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)) {
    if (!/<optional>\s*true\s*<\/optional>/.test(block)) continue;
    const tag = (t: string) => block.match(new RegExp(`<${t}>\\s*([^<]+?)\\s*</${t}>`))?.[1] ?? "";
    out.push({ groupId: tag("groupId"), artifactId: tag("artifactId"), version: tag("version") });
  }
  return out;
}

/** `netty-common-4.2.7.Final.jar` -> `netty-common`: the artifact a jar file is of. */
function artifactOf(jar: string): string {
  return jar.replace(/-\d[^-]*(?:-[A-Za-z0-9.]+)?\.jar$/, "").replace(/\.jar$/, "");
}

function step<T>(label: string, fn: () => T): T {
  const t0 = Date.now();
  const result = fn();
  console.log(`  ${label.padEnd(34)} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return result;
}

/** Assembles the node into `home` (replacing whatever half-made copy is there). */
export function assemble(home: string, version: string = opensearchVersion()): void {
  const javaHome = opensearchJavaHome();
  const staging = `${home}.staging-${process.pid}`;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "opensearch-assembly-"));
  fs.rmSync(staging, { recursive: true, force: true });
  try {
    const lib = path.join(staging, "lib");
    step(`lib/ (org.opensearch:opensearch:${version})`, () => {
      mavenCopy(work, "core", [{ groupId: "org.opensearch", artifactId: "opensearch", version }], lib);
      const corePom = path.join(os.homedir(), ".m2", "repository", "org", "opensearch", "opensearch", version, `opensearch-${version}.pom`);
      const optional = optionalDependencies(fs.readFileSync(corePom, "utf8"));
      // The distribution's lib/ also holds what the server's pom leaves out: its optional dependencies
      // and the class loader of plugins that extend others (the security plugin does).
      const extra = [...optional, { groupId: "org.opensearch", artifactId: "opensearch-plugin-classloader", version }];
      mavenCopy(work, "core-extra", extra, lib);
    });
    const inLib = new Set(fs.readdirSync(lib).map(artifactOf));

    step("agent/ (opensearch-agent)", () => {
      const agent = path.join(staging, "agent");
      mavenCopy(work, "agent", [{ groupId: "org.opensearch", artifactId: "opensearch-agent", version }], agent);
      // The name upstream's jvm.options starts it by; its manifest's Boot-Class-Path names the other two jars beside it.
      fs.renameSync(path.join(agent, `opensearch-agent-${version}.jar`), path.join(agent, "opensearch-agent.jar"));
    });

    step("modules/transport-netty4", () => {
      const dir = path.join(staging, "modules", "transport-netty4");
      const all = path.join(work, "netty-all");
      mavenCopy(work, "netty", [{ groupId: "org.opensearch.plugin", artifactId: "transport-netty4-client", version }], all);
      fs.mkdirSync(dir, { recursive: true });
      // A jar both in lib/ and in a module is jar hell: the module keeps only what lib/ lacks.
      for (const jar of fs.readdirSync(all)) if (!inLib.has(artifactOf(jar))) fs.copyFileSync(path.join(all, jar), path.join(dir, jar));
      fs.writeFileSync(
        path.join(dir, "plugin-descriptor.properties"),
        pluginDescriptor({ name: "transport-netty4", description: "Netty 4 based transport implementation", classname: "org.opensearch.transport.Netty4ModulePlugin", version }),
      );
    });

    step("modules/rule-framework (stand-in)", () => {
      const dir = path.join(staging, "modules", "rule-framework");
      const src = path.join(work, "rule-framework", "src");
      const classes = path.join(work, "rule-framework", "classes");
      const file = path.join(src, ...RULE_FRAMEWORK_STAND_IN.className.split(".")) + ".java";
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(file, RULE_FRAMEWORK_STAND_IN.source);
      execFileSync(path.join(javaHome, "bin", "javac"), ["--release", "21", "-cp", `${lib}/*`, "-d", classes, file], { stdio: "pipe" });
      execFileSync(path.join(javaHome, "bin", "jar"), ["--create", "--file", path.join(dir, "rule-framework-stand-in.jar"), "-C", classes, "."], { stdio: "pipe" });
      // The real module exports commons-collections4 to the plugins that extend it, and the security
      // plugin's privilege evaluation uses it from there (NoClassDefFoundError without it).
      mavenCopy(work, "rule-framework-deps", [RULE_FRAMEWORK_EXPORTS], dir);
      fs.writeFileSync(
        path.join(dir, "plugin-descriptor.properties"),
        pluginDescriptor({ name: "rule-framework", description: "Stand-in of the rule-framework module (not on Maven Central); registers nothing", classname: RULE_FRAMEWORK_STAND_IN.className, version }),
      );
    });

    step(`plugins/opensearch-security (${securityPluginVersion(version)})`, () => {
      const zips = path.join(work, "security-zip");
      mavenCopy(work, "security", [{ groupId: "org.opensearch.plugin", artifactId: "opensearch-security", version: securityPluginVersion(version), type: "zip" }], zips);
      const zip = fs.readdirSync(zips).find((f) => f.endsWith(".zip"));
      if (!zip) throw new Error(`no zip in ${zips}: ${fs.readdirSync(zips).join(", ")}`);
      const dir = path.join(staging, "plugins", "opensearch-security");
      fs.mkdirSync(dir, { recursive: true });
      execFileSync("unzip", ["-q", "-o", path.join(zips, zip), "-d", dir], { stdio: "pipe" });
      // `opensearch-plugin install` moves a plugin's config/ to $OPENSEARCH_PATH_CONF/<plugin name>/.
      fs.mkdirSync(path.join(staging, "config"), { recursive: true });
      fs.renameSync(path.join(dir, "config"), path.join(staging, "config", "opensearch-security"));
      for (const tool of fs.readdirSync(path.join(dir, "tools"))) if (tool.endsWith(".sh")) fs.chmodSync(path.join(dir, "tools", tool), 0o755);
    });

    fs.mkdirSync(path.join(staging, "config"), { recursive: true });
    // The node checks path.home/bin is readable at start; upstream's launch scripts live there, ours are the tests' helper.
    fs.mkdirSync(path.join(staging, "bin"), { recursive: true });
    fs.writeFileSync(path.join(staging, "config", "jvm.options"), JVM_OPTIONS);
    fs.writeFileSync(path.join(staging, "config", "log4j2.properties"), LOG4J2_PROPERTIES);
    fs.writeFileSync(path.join(staging, MARKER), `${version}\n`);
    fs.rmSync(home, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(home), { recursive: true });
    fs.renameSync(staging, home);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function du(dir: string): string {
  try {
    return execFileSync("du", ["-sh", dir], { encoding: "utf8" }).split("\t")[0];
  } catch {
    return "?";
  }
}

function main(): void {
  const started = Date.now();
  const version = opensearchVersion();
  const home = opensearchHomeDir();
  if (isAssembled(home, version)) {
    console.log(`opensearch ${version} present at ${home} (${Date.now() - started} ms)`);
    return;
  }
  const java = path.join(opensearchJavaHome(), "bin", "java");
  if (!fs.existsSync(java)) throw new Error(`no Java at ${java}: OpenSearch ${version} needs Java 21+ (set OPENSEARCH_JAVA_HOME)`);
  console.log(`opensearch ${version}: assembling ${home} from Maven Central (pinned by components/shared/versions.ts images.opensearch)`);
  assemble(home, version);
  console.log(`opensearch ${version} assembled at ${home}, ${du(home)}, in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log("  not assembled (not on Maven Central at this release): index-management (ISM), job-scheduler, the distribution's other modules");
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(`toolchain:opensearch failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
