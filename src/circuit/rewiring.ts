/** Rewiring is the same on every backend: slicing, concatenating, gathering and scattering move wires and compute nothing. */
import { concatWires, gatherPlaneLanes, gatherPlaneLanesOfParts, gatherWires, planesToRows, scatterPlaneLanes, scatterPlaneLanesInPlace, scatterWires, sliceWires, type WireVector } from "./wireVector.js";

export abstract class Rewiring {
  slice(a: WireVector, start: number, end?: number): WireVector {
    return sliceWires(a, start, end);
  }

  concat(parts: readonly WireVector[]): WireVector {
    return concatWires(parts);
  }

  gather(a: WireVector, indices: ArrayLike<number>): WireVector {
    return gatherWires(a, indices);
  }

  /** A copy of `target` with `target[indices[i]] = values[i]`. */
  scatter(target: WireVector, indices: ArrayLike<number>, values: WireVector): WireVector {
    return scatterWires(target, indices, values);
  }

  gatherLanes(a: WireVector, width: number, lanes: ArrayLike<number>): WireVector {
    return gatherPlaneLanes(a, width, lanes);
  }

  gatherLanesOfParts(parts: ReadonlyArray<{ wires: WireVector; width: number }>, lanes: ArrayLike<number>): WireVector {
    return gatherPlaneLanesOfParts(parts, lanes);
  }

  planesToRows(planes: readonly WireVector[], lanes: number): WireVector {
    return planesToRows(planes, lanes);
  }

  scatterLanes(target: WireVector, width: number, lanes: ArrayLike<number>, values: WireVector): WireVector {
    return scatterPlaneLanes(target, width, lanes, values);
  }

  scatterLanesInPlace(store: WireVector, width: number, lanes: ArrayLike<number>, values: WireVector): void {
    scatterPlaneLanesInPlace(store, width, lanes, values);
  }
}
