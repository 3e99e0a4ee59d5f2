/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The deploy tests (a Docker engine, a Kubernetes control plane) run on their own: npm run test:deploy.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/deploy/"],
  transform: {
    // Type checking is done once by `tsc --noEmit` in `npm test`; jest only transpiles.
    "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
  },
  // Real-process tests start Prometheus and friends; give them room on a 2-core machine.
  testTimeout: 120000,
  maxWorkers: 2,
};
