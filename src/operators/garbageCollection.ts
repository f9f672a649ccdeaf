/**
 * A full garbage collection between large operators, once the compute worker has turned it on. An operator
 * replaces whole columns of labels (hundreds of MB each at pilot scale). V8 frees those only when it next
 * marks the old generation, and until then the dead columns sit in the process's memory beside the live ones.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | undefined;

/** Lets collectGarbage run a full collection in this process: it exposes V8's `gc` to a fresh context. */
export function enableGarbageCollection(): void {
  if (collect) return;
  setFlagsFromString("--expose-gc");
  collect = runInNewContext("gc") as () => void;
}

/** Steps that let go of fewer wires than this (64 MB of labels) are not worth a collection. */
const COLLECT_AFTER_WIRES = 1 << 22;

/**
 * A full collection, if enabled, after a step that let go of about `wires` wires of labels (a few
 * milliseconds: the labels live outside the JavaScript heap, so only that small heap is marked).
 * Twice: V8 frees dead ArrayBuffers' memory on a background thread, which a busy machine may not run for a
 * while, and a full collection begins by finishing that work. So the memory is back before the next step.
 */
export function collectGarbage(wires: number): void {
  if (wires < COLLECT_AFTER_WIRES || !collect) return;
  collect();
  collect();
}
