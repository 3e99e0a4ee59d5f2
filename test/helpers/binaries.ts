import { execFileSync } from "child_process";

/**
 * Real-process tests need Debian's Prometheus tools. On a laptop without them the test is skipped
 * with a message saying what to install; in CI (`CI=true`) a missing binary is a failure.
 */
export function which(binary: string): string | undefined {
  try {
    return execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Returns the missing binaries among `binaries`. */
export function missing(binaries: string[]): string[] {
  return binaries.filter((b) => which(b) === undefined);
}

/**
 * `describe` when every binary is present; in CI a missing one fails loudly; elsewhere the suite
 * is reported as skipped with the apt packages that provide the binaries.
 */
export function describeWithBinaries(title: string, binaries: string[], fn: () => void): void {
  const absent = missing(binaries);
  if (absent.length === 0) {
    describe(title, fn);
    return;
  }
  const message = `${title}: needs ${absent.join(", ")} (apt-get install prometheus prometheus-alertmanager prometheus-node-exporter prometheus-blackbox-exporter prometheus-postgres-exporter prometheus-redis-exporter postgresql redis-server)`;
  if (process.env.CI === "true") {
    describe(title, () => {
      it("has the binaries it needs", () => {
        throw new Error(`missing in CI: ${message}`);
      });
    });
    return;
  }
  // A developer's laptop without the Debian packages: reported as skipped, with what to install.
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED ${message}`);
  const skipped = describe.skip;
  skipped(title, fn);
}
