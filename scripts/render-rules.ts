/**
 * Writes rules/*.yml, the renders of the default thresholds. A test fails when they differ from
 * the renderer, so run this after changing components/rules/*.ts:
 *   npx ts-node --transpile-only scripts/render-rules.ts
 */
import * as fs from "fs";
import * as path from "path";
import { renderRuleFiles } from "../components/rules/rule-files";

const dir = path.join(__dirname, "..", "rules");
fs.mkdirSync(dir, { recursive: true });
const files = renderRuleFiles();
// Files of groups that no longer exist would linger and still be loaded: remove them.
for (const name of fs.readdirSync(dir)) {
  if (name.endsWith(".yml") && !(name in files)) fs.rmSync(path.join(dir, name));
}
for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
console.log(`wrote ${Object.keys(files).length} rule files to ${path.relative(process.cwd(), dir) || "."}`);
