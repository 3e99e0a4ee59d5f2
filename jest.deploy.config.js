/**
 * `npm run test:deploy`: the stack deployed on a real Docker engine and a real Kubernetes control
 * plane (test/deploy/). Slow and heavy, so apart from `npm test`; `.ci/run` runs both.
 */
const base = require("./jest.config");

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ["<rootDir>/test/deploy"],
  testPathIgnorePatterns: ["/node_modules/"],
  testTimeout: 600000,
  // One deploy at a time: both need most of the machine's 2 cores.
  maxWorkers: 1,
};
