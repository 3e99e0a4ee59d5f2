import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { CustomRule, renderCustomRules } from "../components/rules/custom-rules";
import { describeWithBinaries } from "./helpers/binaries";
import { run, tempDir } from "./helpers/promtool";

const rules: CustomRule[] = [
  { alert: "HighAuthFailureRate", expr: 'rate(auth_attempts_total{status="failure"}[5m]) > 0.1', for: "2m", severity: "warning", summary: "Auth failures", description: "{{ $value }} failures/s", runbookUrl: "https://runbooks.example.com/auth", labels: { team: "security" } },
  { record: "job:http_requests:rate5m", expr: "sum by (job) (rate(http_requests_total[5m]))", labels: {} },
];

describe("renderCustomRules", () => {
  it("renders the user's rules as one group, alerts with severity and every annotation", () => {
    expect(yaml.load(renderCustomRules(rules))).toStrictEqual({
      groups: [{
        name: "custom",
        rules: [
          { alert: "HighAuthFailureRate", expr: rules[0].expr, for: "2m", labels: { severity: "warning", team: "security" }, annotations: { summary: "Auth failures", description: "{{ $value }} failures/s", runbook_url: "https://runbooks.example.com/auth" } },
          { record: "job:http_requests:rate5m", expr: rules[1].expr },
        ],
      }],
    });
  });
});

describeWithBinaries("the user's rules read by the pinned promtool", ["promtool"], () => {
  it("promtool check rules accepts them", () => {
    const dir = tempDir("custom-rules");
    fs.writeFileSync(path.join(dir, "custom.yml"), renderCustomRules(rules));
    const result = run("promtool", ["check", "rules", path.join(dir, "custom.yml")]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.output).toContain("SUCCESS: 2 rules found");
    expect(result.code).toBe(0);
  });
});
