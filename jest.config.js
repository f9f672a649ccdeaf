/** Jest in native ESM mode with ts-jest transpiling only; `npm test` type-checks first. */
export default {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  extensionsToTreatAsEsm: [".ts"],
  moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
  transform: { "^.+\\.ts$": ["ts-jest", { useESM: true }] },
  testTimeout: 120000,
  reporters: ["default", "<rootDir>/test/summaryReporter.cjs"],
};
