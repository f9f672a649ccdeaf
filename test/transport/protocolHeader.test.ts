/** Both parties must run the same circuit: the header exchange names any difference before a gate is sent. */
import { describe, expect, it } from "@jest/globals";
import { memoryChannelPair } from "../../src/transport/memoryPair.js";
import { exchangePairHellos, findMismatch, PeerMismatchError, PROTOCOL_NAME, PROTOCOL_VERSION, type PairHello, type ProtocolHeader } from "../../src/transport/protocolHeader.js";

const garbler: ProtocolHeader = {
  protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, role: "garbler", study: "s", studyDigest: "d", query: "q",
  inputs: { "site1/demo": 10, "site2/demo": 5 }, sortedInputs: { demo: ["patid"] }, run: "r",
};
const evaluator: ProtocolHeader = { ...garbler, role: "evaluator", run: "" };

describe("findMismatch", () => {
  it("accepts the same study, query, sizes and sort orders", () => {
    expect(findMismatch(garbler, evaluator)).toBeUndefined();
  });

  it("names shares sorted differently, which would change the circuit", () => {
    expect(findMismatch(garbler, { ...evaluator, sortedInputs: {} })).toMatch(/sorted differently \(here \{"demo":\["patid"\]\}, at the peer \{\}\)/);
    expect(findMismatch(garbler, { ...evaluator, sortedInputs: undefined })).toMatch(/sorted differently/);
  });

  it("names an older peer by its protocol version", () => {
    expect(findMismatch(garbler, { ...evaluator, version: 1 })).toMatch(new RegExp(`protocol version 1, we run ${PROTOCOL_VERSION}: upgrade the older side`));
  });

  it("names a different list of queries in the session, which changes which joins are shared", () => {
    expect(findMismatch({ ...garbler, session: ["q", "r"] }, { ...evaluator, session: ["q", "r"] })).toBeUndefined();
    expect(findMismatch({ ...garbler, session: ["q", "r"] }, { ...evaluator, session: ["q"] })).toMatch(/the peer runs the queries q in this session, we run q, r: give both sides the same --query list/);
  });

  it("names differing sizes", () => {
    expect(findMismatch(garbler, { ...evaluator, inputs: { "site1/demo": 10, "site2/demo": 6 } })).toMatch(/site2\/demo has 5 rows here and 6 at the peer/);
  });
});

describe("exchangePairHellos", () => {
  const garblerHello: PairHello = { ...garbler, query: "", run: "", workers: 2, pair: -1, schedule: [["q"], ["r"]] };
  const evaluatorHello: PairHello = { ...garblerHello, role: "evaluator", pair: 1 };
  const exchange = async (ours: PairHello, theirs: PairHello) => {
    const [near, far] = memoryChannelPair();
    const outcomes = await Promise.allSettled([exchangePairHellos(near, ours), exchangePairHellos(far, theirs)]);
    near.close();
    far.close();
    return outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : outcome.reason));
  };

  it("gives both sides the pair the evaluator names", async () => {
    expect(await exchange(garblerHello, evaluatorHello)).toEqual([1, 1]);
  });

  it("stops both sides on a different number of pairs, a different schedule or a pair out of range", async () => {
    for (const [change, reason] of [
      [{ workers: 3 }, /the peer runs \d worker pair\(s\), we run \d: give both sides the same --workers/],
      [{ schedule: [["q", "r"], []] }, /scheduled the queries on worker pairs differently/],
      [{ pair: 2 }, /the peer names worker pair 2 of 2/],
      [{ inputs: { "site1/demo": 10 } }, /site2\/demo is missing at the peer/],
    ] as const) {
      const [garblerOutcome, evaluatorOutcome] = await exchange(garblerHello, { ...evaluatorHello, ...change } as PairHello);
      expect(garblerOutcome).toBeInstanceOf(PeerMismatchError);
      expect(evaluatorOutcome).toBeInstanceOf(PeerMismatchError);
      expect(String(garblerOutcome)).toMatch(reason);
      if ("pair" in change) expect(String(evaluatorOutcome)).toMatch(/we name worker pair 2 of 2/);
    }
  });
});
