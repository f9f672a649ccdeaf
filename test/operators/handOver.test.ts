import { describe, expect, it } from "@jest/globals";
import { HandOver, receive } from "../../src/operators/handOver.js";

describe("HandOver", () => {
  it("gives its value once and keeps no reference after", () => {
    const rows = { lanes: 3 };
    const handed = new HandOver(rows);
    expect(receive(handed)).toBe(rows);
    expect(() => handed.take()).toThrow(/taken twice/);
  });

  it("passes a value given directly through unchanged", () => {
    const rows = { lanes: 5 };
    expect(receive(rows)).toBe(rows);
    expect(receive(rows)).toBe(rows);
  });
});
