/** Jest in native ESM mode with ts-jest transpiling only; `npm test` type-checks first. */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true }] },
  testTimeout: 120000,
  // Two suites at once: most time is spent waiting on spawned processes (compute parties, sshd, Chromium,
  // radosgw), and in band the suite took 850–910 s on 2 cores against 386 s this way.
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/summaryReporter.cjs"],
};
