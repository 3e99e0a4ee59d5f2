import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";

/**
 * The GitHub workflows: nothing reaches `pulumi` untested, and every credential comes from GitHub
 * secrets, never from the file itself.
 */

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string | { name: string };
  if?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

const DIR = path.join(__dirname, "..", ".github", "workflows");
const load = (file: string): Workflow => yaml.load(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;

const isPulumi = (s: Step) => s.uses?.startsWith("pulumi/actions@") ?? false;
const runs = (s: Step, command: string) => (s.run ?? "").split("\n").some((line) => line.trim() === command);

/** Names of the jobs that always finish before `name` starts (its `needs`, transitively). */
function before(wf: Workflow, name: string): string[] {
  const needs = wf.jobs[name].needs ?? [];
  const direct = typeof needs === "string" ? [needs] : needs;
  return direct.flatMap((n) => [n, ...before(wf, n)]);
}

/** Where `command` runs before the job's pulumi step: earlier in that job, or in a job it needs. */
function ranBeforePulumi(wf: Workflow, job: string, command: string): boolean {
  const steps = wf.jobs[job].steps;
  const pulumiAt = steps.findIndex(isPulumi);
  if (steps.slice(0, pulumiAt).some((s) => runs(s, command))) return true;
  return before(wf, job).some((j) => wf.jobs[j].steps.some((s) => runs(s, command)));
}

/** Every `${{ ... }}` expression inside a value that names a credential-like key. */
function credentialValues(wf: Workflow): [string, string][] {
  const out: [string, string][] = [];
  const secretish = /TOKEN|PASSPHRASE|SECRET|ACCESS_KEY|KUBECONFIG|PASSWORD|cloud-url|BACKEND/i;
  for (const [jobName, job] of Object.entries(wf.jobs)) {
    for (const step of job.steps) {
      for (const [key, value] of [...Object.entries(step.env ?? {}), ...Object.entries(step.with ?? {})]) {
        if (secretish.test(key)) out.push([`${jobName}.${step.name ?? step.uses ?? step.run}.${key}`, String(value)]);
      }
    }
  }
  return out;
}

/** The pulumi job of a workflow (exactly one). */
function pulumiJob(wf: Workflow): [string, Job] {
  const jobs = Object.entries(wf.jobs).filter(([, j]) => j.steps.some(isPulumi));
  expect(jobs).toHaveLength(1);
  return jobs[0];
}

describe.each([
  ["preview.yml", "preview"],
  ["deploy.yml", "up"],
])("%s", (file, command) => {
  const wf = load(file);
  const [jobName, job] = pulumiJob(wf);
  const step = job.steps.find(isPulumi)!;

  it(`runs pulumi ${command} on the prod stack with pulumi/actions@v6`, () => {
    expect(step.uses).toBe("pulumi/actions@v6");
    expect(step.with).toMatchObject({ command, "stack-name": "prod" });
  });

  it("runs npm ci and npm test before the pulumi step", () => {
    expect(ranBeforePulumi(wf, jobName, "npm ci")).toBe(true);
    expect(ranBeforePulumi(wf, jobName, "npm test")).toBe(true);
    // The pulumi job installs its own dependencies: a runner shares no node_modules with another.
    const steps = job.steps;
    expect(steps.findIndex((s) => runs(s, "npm ci"))).toBeGreaterThanOrEqual(0);
    expect(steps.findIndex((s) => runs(s, "npm ci"))).toBeLessThan(steps.findIndex(isPulumi));
  });

  it("sets up Node.js 22", () => {
    for (const j of [jobName, ...before(wf, jobName)]) {
      const setup = wf.jobs[j].steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
      expect(setup?.with?.["node-version"]).toBe(22);
    }
  });

  it("takes every credential from secrets.*", () => {
    const values = credentialValues(wf);
    expect(values.map(([where]) => where)).toEqual(expect.arrayContaining([expect.stringMatching(/PULUMI_CONFIG_PASSPHRASE$/), expect.stringMatching(/KUBECONFIG_CONTENT$/), expect.stringMatching(/cloud-url$/)]));
    for (const [where, value] of values) {
      expect([where, value]).toEqual([where, expect.stringMatching(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/)]);
    }
  });
});

describe("preview.yml", () => {
  const wf = load("preview.yml");
  it("runs on pull requests and comments the preview on the PR", () => {
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(pulumiJob(wf)[1].steps.find(isPulumi)?.with?.["comment-on-pr"]).toBe(true);
  });
});

describe("deploy.yml", () => {
  const wf = load("deploy.yml");
  it("deploys on pushes to main, from the protected production environment", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
    expect(pulumiJob(wf)[1].environment).toEqual({ name: "production" });
  });
});

describe("the checks themselves", () => {
  it("notice a pulumi step that runs before the tests, and a credential written in the file", () => {
    const wf = load("deploy.yml");
    const broken: Workflow = {
      on: wf.on,
      jobs: {
        deploy: {
          steps: [
            { run: "npm ci" },
            { uses: "pulumi/actions@v6", with: { command: "up", "cloud-url": "s3://bucket" }, env: { PULUMI_CONFIG_PASSPHRASE: "hunter2" } },
            { run: "npm test" },
          ],
        },
      },
    };
    expect(ranBeforePulumi(broken, "deploy", "npm ci")).toBe(true);
    expect(ranBeforePulumi(broken, "deploy", "npm test")).toBe(false);
    expect(credentialValues(broken).filter(([, v]) => !/^\$\{\{ secrets\./.test(v)).map(([w]) => w)).toEqual([
      "deploy.pulumi/actions@v6.PULUMI_CONFIG_PASSPHRASE",
      "deploy.pulumi/actions@v6.cloud-url",
    ]);
  });
});
