/** A worker thread that garbles or evaluates one Bristol circuit, for `catalyst circuit run --backend garbled`. */
import { readFileSync } from "node:fs";
import { parentPort, workerData, type MessagePort } from "node:worker_threads";
import { bristolProgram, parseBristol } from "./bristol.js";
import type { CorrelatedOtReceiver, CorrelatedOtSender } from "./correlatedOt.js";
import { Evaluator } from "./evaluator.js";
import { Garbler } from "./garbler.js";
import { messagePortSink, messagePortSource } from "./messagePortStream.js";
import { randomFillSync } from "node:crypto";

export interface BristolWorkerData {
  role: "garbler" | "evaluator";
  circuitPath: string;
  /** This party's XOR share of each input, one byte per bit. */
  shares: Uint8Array[];
  stream: MessagePort;
}

/** Messages to the parent, which plays the ideal COT (a stand-in until the OT extension lands). */
export type BristolWorkerMessage =
  | { type: "cot-keys"; delta: Uint8Array; keys: Uint8Array }
  | { type: "done"; shares: Uint8Array[]; andGates: number; streamBytes: number };

const data = workerData as BristolWorkerData;
const parent = parentPort!;
const circuit = parseBristol(readFileSync(data.circuitPath, "utf8"), data.circuitPath);
const program = bristolProgram(circuit);

if (data.role === "garbler") {
  const dealer: CorrelatedOtSender = {
    async sendCorrelated(delta, count) {
      const keys = randomFillSync(new Uint8Array(count * 16));
      parent.postMessage({ type: "cot-keys", delta, keys } satisfies BristolWorkerMessage);
      return keys;
    },
  };
  const garbler = new Garbler(messagePortSink(data.stream));
  const inputs = [];
  for (const share of data.shares) inputs.push(await garbler.inputShared(share, dealer));
  const outputs = await program(garbler, inputs);
  await garbler.finish();
  parent.postMessage({ type: "done", shares: outputs.map((output) => garbler.outputShare(output)), andGates: garbler.andGates, streamBytes: garbler.streamBytes } satisfies BristolWorkerMessage);
} else {
  const pendingLabels: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  parent.on("message", (message: { labels: Uint8Array }) => { pendingLabels.push(message.labels); wake?.(); });
  const dealer: CorrelatedOtReceiver = {
    async receiveCorrelated() {
      while (pendingLabels.length === 0) await new Promise<void>((resolve) => { wake = resolve; });
      return pendingLabels.shift()!;
    },
  };
  const evaluator = await Evaluator.create(messagePortSource(data.stream));
  const inputs = [];
  for (const share of data.shares) inputs.push(await evaluator.inputShared(share, dealer));
  const outputs = await program(evaluator, inputs);
  await evaluator.finish();
  parent.postMessage({ type: "done", shares: outputs.map((output) => evaluator.outputShare(output)), andGates: evaluator.andGates, streamBytes: evaluator.streamBytes } satisfies BristolWorkerMessage);
}
