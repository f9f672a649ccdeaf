/**
 * computeQueriesInWorker refusing a peer: its own protocol header still reaches the peer, in order before
 * the connection ends, so the peer can name the mismatch too instead of seeing a bare hang-up.
 */
import { describe, expect, it } from "@jest/globals";
import { computeQueriesInWorker } from "../../src/operators/computeInWorker.js";
import { PeerClosedError } from "../../src/transport/errors.js";
import { PeerMismatchError, PROTOCOL_NAME, PROTOCOL_VERSION, type ProtocolHeader } from "../../src/transport/protocolHeader.js";
import { inlineStudy } from "../helpers/inlineStudy.js";
import { closeBoth, loopbackChannelPair } from "../transport/loopback.js";

const study = inlineStudy({
  name: "refusal", tablesSql: "CREATE TABLE visits (patid INT32);", partners: [{ name: "siteA", tables: ["visits"] }], minCellCount: 11,
  queries: [{ name: "q_count", sql: "SELECT COUNT(*) FROM visits" }],
});

describe("computeQueriesInWorker", () => {
  it("sends its header before it refuses a peer running another study, then ends the connection cleanly", async () => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [near, peer] = await loopbackChannelPair({ idleTimeoutMs: 0 });
      try {
        // The peer answers at once, so the worker refuses as early as it can.
        const peerHeader: ProtocolHeader = { protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION, role: "evaluator", study: "another-study", studyDigest: "", query: "q_count", inputs: {}, run: "" };
        await peer.send(new TextEncoder().encode(JSON.stringify(peerHeader)));
        peer.flush();
        const task = { study, role: "garbler" as const, queries: [{ name: "q_count", tables: ["visits"] }], inputs: [{ table: "visits", sizes: { "siteA/visits": 3 }, parts: [{ partner: 0, rows: 3 }], missing: [], rows: 3, shareBits: new Uint8Array(12) }] };
        const refusal = await computeQueriesInWorker(task, near, { label: "garbler↔peer", idleTimeoutMs: 10_000 }).catch((error: Error) => error);
        expect(refusal).toBeInstanceOf(PeerMismatchError);
        expect(String(refusal)).toMatch(/the peer runs study another-study/);
        // As runCompute does once the worker has failed: by now the header must have been written.
        near.destroy();
        const theirs = JSON.parse(new TextDecoder().decode(await peer.receive())) as ProtocolHeader;
        expect([theirs.role, theirs.study]).toEqual(["garbler", study.id]);
        await expect(peer.receive()).rejects.toBeInstanceOf(PeerClosedError);
      } finally {
        await closeBoth(near, peer);
      }
    }
  });
});
