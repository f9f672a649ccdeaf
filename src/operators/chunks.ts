/**
 * Wires per chunk when a layer of swaps or combines runs over a whole relation. Each chunk's temporaries
 * (gathered rows, comparison and adder intermediates) are live at once, so the chunk sets the transient
 * memory above the relation itself. Measured garbling 24k lanes of 313–330 bits: 2^21 wires per chunk peaked
 * 0.4 GB above the rows, 2^19 wires 0.17 GB, at the same speed; AND batches stay large.
 */
export const CHUNK_WIRES = 1 << 19;

/** Lanes per chunk when a step over a whole column of `width` planes runs a chunk of lanes at a time. */
export function lanesPerChunk(width: number): number {
  return Math.max(1024, Math.floor(CHUNK_WIRES / Math.max(1, width)));
}

/** Lanes [start, end), as gather indices. */
export function laneRange(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, index) => start + index);
}
