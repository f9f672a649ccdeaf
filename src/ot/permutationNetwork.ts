/** Arbitrary-size Waksman permutation networks (AS-Waksman, Beauquier & Darrot 2002): shape, routing and clear-text application. */

import { randomFillSync } from "node:crypto";

/** One layer of switches: switch i acts on positions low[i] < high[i]; no position appears twice in one layer. */
export interface SwitchLayer {
  low: Int32Array;
  high: Int32Array;
}

/*
 * Shape. A block of m positions P[0..m) with m >= 3 has input switches on (P[2k], P[2k+1]) for k < floor(m/2), then an
 * upper subnetwork on P[0], P[2], … and a lower one on P[1], P[3], … (plus P[m-1] when m is odd), then output switches on
 * (P[2k], P[2k+1]) for every pair except, when m is even, the last. A block of 2 is one switch.
 *
 * Both functions below walk the recursion breadth first: level by level, with every block of a level stored back to back
 * in one typed array (a block's upper child first, then its lower child). A block at level `level` puts its input switches
 * in layer `level` and its output switches in layer `level + depth(m) - 1`; its children start at `level + 1` and, being at
 * most depth(m) - 2 deep, end before the output layer. Blocks that share a layer are either disjoint or nested, and nested
 * ones never share a layer, so no position appears twice in one. Construction and routing visit blocks in the same order
 * and fill each layer from the front, so switch i of a layer is the same switch in both.
 */

/** Largest n accepted: positions must fit an Int32Array. */
const maximumSize = 0x7fffffff;

/** Layers in the network on m positions: D(0) = D(1) = 0, D(2) = 1, D(m) = D(ceil(m/2)) + 2, which is 2·ceil(lg m) − 1. */
function networkDepth(size: number): number {
  return size < 2 ? 0 : 2 * (32 - Math.clz32(size - 1)) - 1;
}

/** Output switches of a block of m >= 3 positions: every output pair, less the last one when m is even. */
function outputSwitchCount(size: number): number {
  const half = size >> 1;
  return size & 1 ? half : half - 1;
}

function assertSize(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > maximumSize) throw new RangeError(`network size must be an integer in [0, ${maximumSize}], got ${n}`);
}

/**
 * Switches in each layer of the network on n positions. Every level of the recursion holds blocks of at most two sizes
 * (floor and ceil of n / 2^level), so counting blocks per size takes O(lg n) steps.
 */
function switchesPerLayer(n: number): number[] {
  const counts: number[] = new Array<number>(networkDepth(n)).fill(0);
  let blocksBySize = new Map<number, number>([[n, 1]]);
  for (let level = 0; blocksBySize.size > 0; level++) {
    const nextBlocksBySize = new Map<number, number>();
    for (const [size, blocks] of blocksBySize) {
      if (size === 2) counts[level] += blocks;
      if (size < 3) continue;
      const half = size >> 1;
      counts[level] += blocks * half;
      counts[level + networkDepth(size) - 1] += blocks * outputSwitchCount(size);
      nextBlocksBySize.set(half, (nextBlocksBySize.get(half) ?? 0) + blocks);
      nextBlocksBySize.set(size - half, (nextBlocksBySize.get(size - half) ?? 0) + blocks);
    }
    blocksBySize = nextBlocksBySize;
  }
  return counts;
}

/** The AS-Waksman network on n positions (n >= 0), as layers applied in order, in place on an array of n elements. Depends only on n. */
export function waksmanNetwork(n: number): SwitchLayer[] {
  assertSize(n);
  const counts = switchesPerLayer(n);
  const layers: SwitchLayer[] = counts.map((count) => ({ low: new Int32Array(count), high: new Int32Array(count) }));
  const filled = new Int32Array(counts.length);

  let positions = new Int32Array(n);
  for (let i = 0; i < n; i++) positions[i] = i;
  let nextPositions = new Int32Array(n);
  // A level never holds more blocks than positions (every block below the root is non-empty).
  let blockSizes = new Int32Array(Math.max(1, n));
  let nextBlockSizes = new Int32Array(Math.max(1, n));
  blockSizes[0] = n;
  let blockCount = 1;

  for (let level = 0; blockCount > 0; level++) {
    let offset = 0;
    let nextOffset = 0;
    let nextBlockCount = 0;
    for (let block = 0; block < blockCount; block++) {
      const size = blockSizes[block];
      if (size === 2) {
        const layer = layers[level];
        layer.low[filled[level]] = positions[offset];
        layer.high[filled[level]++] = positions[offset + 1];
      } else if (size >= 3) {
        const half = size >> 1;
        const inputLayer = layers[level];
        let inputSlot = filled[level];
        for (let pair = 0; pair < half; pair++, inputSlot++) {
          inputLayer.low[inputSlot] = positions[offset + 2 * pair];
          inputLayer.high[inputSlot] = positions[offset + 2 * pair + 1];
        }
        filled[level] = inputSlot;

        const outputLevel = level + networkDepth(size) - 1;
        const outputLayer = layers[outputLevel];
        const outputPairs = outputSwitchCount(size);
        let outputSlot = filled[outputLevel];
        for (let pair = 0; pair < outputPairs; pair++, outputSlot++) {
          outputLayer.low[outputSlot] = positions[offset + 2 * pair];
          outputLayer.high[outputSlot] = positions[offset + 2 * pair + 1];
        }
        filled[outputLevel] = outputSlot;

        // Even positions feed the upper child, odd ones (and the last, for odd m) the lower; both stay increasing.
        for (let pair = 0; pair < half; pair++) {
          nextPositions[nextOffset + pair] = positions[offset + 2 * pair];
          nextPositions[nextOffset + half + pair] = positions[offset + 2 * pair + 1];
        }
        if (size & 1) nextPositions[nextOffset + size - 1] = positions[offset + size - 1];
        nextBlockSizes[nextBlockCount++] = half;
        nextBlockSizes[nextBlockCount++] = size - half;
        nextOffset += size;
      }
      offset += size;
    }
    [positions, nextPositions] = [nextPositions, positions];
    [blockSizes, nextBlockSizes] = [nextBlockSizes, blockSizes];
    blockCount = nextBlockCount;
  }

  for (let layer = 0; layer < counts.length; layer++) {
    if (filled[layer] !== counts[layer]) throw new Error(`waksmanNetwork: layer ${layer} holds ${filled[layer]} switches, planned ${counts[layer]}`);
  }
  return layers;
}

/** Switches in waksmanNetwork(n) in all, computed without building it: S(0)=S(1)=0, S(2)=1, S(n)=S(floor(n/2))+S(ceil(n/2))+n-1. */
export function waksmanSwitchCount(n: number): number {
  assertSize(n);
  // Only two distinct sizes per level of the recursion, so memoising keeps it O(lg n).
  const known = new Map<number, number>([[0, 0], [1, 0], [2, 1]]);
  const count = (size: number): number => {
    let switches = known.get(size);
    if (switches === undefined) {
      switches = count(size >> 1) + count(size - (size >> 1)) + size - 1;
      known.set(size, switches);
    }
    return switches;
  };
  return count(n);
}

/* Routing: which subnetwork each input of a block goes through. */
const unassigned = 0;
const upper = 1;
const lower = 2;
/** upper ^ otherSide === lower and back. */
const otherSide = 3;

/**
 * Walks one path or cycle of the constraint graph of a block from `start` (already coloured), giving each next element the
 * side opposite to the previous one. Each element has at most two constraints: its input pair partner (the two of an input
 * switch take different subnetworks) and the element wanted at the other output of its output pair (the two outputs of an
 * output switch come from different subnetworks). `startWithInputPair` picks which constraint to follow first; edges then
 * alternate. Stops at an end of a path or on meeting a coloured element, which must then have the opposite side.
 */
function colourAlong(
  wanted: Int32Array,
  outputOf: Int32Array,
  side: Uint8Array,
  offset: number,
  pairedInputs: number,
  pairedOutputs: number,
  start: number,
  startWithInputPair: boolean,
): void {
  let element = start;
  let followInputPair = startWithInputPair;
  for (;;) {
    let neighbour: number;
    if (followInputPair) {
      if (element >= pairedInputs) return;
      neighbour = element ^ 1;
    } else {
      const output = outputOf[offset + element];
      if (output >= pairedOutputs) return;
      neighbour = wanted[offset + (output ^ 1)];
    }
    const required = side[offset + element] ^ otherSide;
    const current = side[offset + neighbour];
    if (current !== unassigned) {
      if (current !== required) throw new Error("routeWaksman: constraint graph is not two-colourable (internal error)");
      return;
    }
    side[offset + neighbour] = required;
    element = neighbour;
    followInputPair = !followInputPair;
  }
}

/** Gives `element` the side `required` (checking it if already set) and propagates along both of its constraints. */
function forceSide(
  wanted: Int32Array,
  outputOf: Int32Array,
  side: Uint8Array,
  offset: number,
  pairedInputs: number,
  pairedOutputs: number,
  element: number,
  required: number,
): void {
  const current = side[offset + element];
  if (current !== unassigned) {
    if (current !== required) throw new Error("routeWaksman: forced subnetwork choice contradicts the constraints (internal error)");
    return;
  }
  side[offset + element] = required;
  colourAlong(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, element, true);
  colourAlong(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, element, false);
}

/**
 * The looping algorithm for one block of m >= 3 inputs, whose output j wants input wanted[offset + j] (local indices):
 * sets side[offset + i] to upper or lower for every input i.
 */
function colourBlock(wanted: Int32Array, outputOf: Int32Array, side: Uint8Array, offset: number, size: number): void {
  const pairedInputs = size & ~1;
  const pairedOutputs = size & 1 ? size - 1 : size - 2;
  for (let output = 0; output < size; output++) {
    outputOf[offset + wanted[offset + output]] = output;
    side[offset + output] = unassigned;
  }
  // Paths end only at forced elements, so seeding from them first leaves nothing but even cycles, free to colour either way.
  if (size & 1) {
    forceSide(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, size - 1, lower);
    forceSide(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, wanted[offset + size - 1], lower);
  } else {
    forceSide(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, wanted[offset + size - 2], upper);
    forceSide(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, wanted[offset + size - 1], lower);
  }
  for (let input = 0; input < size; input++) {
    if (side[offset + input] === unassigned) forceSide(wanted, outputOf, side, offset, pairedInputs, pairedOutputs, input, upper);
  }
}

/**
 * Switch bits (one Uint8Array per layer of waksmanNetwork(permutation.length), one byte 0/1 per switch) that make the network
 * realise `permutation`: applying the layers in order to an array X, swapping X[low[i]] and X[high[i]] where bit i of that
 * layer is 1, yields Y with Y[p] = X[permutation[p]] for every p.
 */
export function routeWaksman(permutation: Int32Array): Uint8Array[] {
  const n = permutation.length;
  assertSize(n);
  const seen = new Uint8Array(n);
  for (let output = 0; output < n; output++) {
    const input = permutation[output];
    if (input < 0 || input >= n || seen[input]) throw new RangeError(`routeWaksman: not a permutation of 0..${n - 1} (entry ${output} is ${input})`);
    seen[input] = 1;
  }

  const counts = switchesPerLayer(n);
  const bits = counts.map((count) => new Uint8Array(count));
  const filled = new Int32Array(counts.length);

  // wanted[offset + j]: the block-local input that the block's output j must receive.
  let wanted = Int32Array.from(permutation);
  let nextWanted = new Int32Array(n);
  const outputOf = new Int32Array(n);
  const side = new Uint8Array(n);
  let blockSizes = new Int32Array(Math.max(1, n));
  let nextBlockSizes = new Int32Array(Math.max(1, n));
  blockSizes[0] = n;
  let blockCount = 1;

  for (let level = 0; blockCount > 0; level++) {
    let offset = 0;
    let nextOffset = 0;
    let nextBlockCount = 0;
    for (let block = 0; block < blockCount; block++) {
      const size = blockSizes[block];
      if (size === 2) {
        // Output 0 wants input 1 exactly when the pair must cross.
        bits[level][filled[level]++] = wanted[offset];
      } else if (size >= 3) {
        colourBlock(wanted, outputOf, side, offset, size);
        const half = size >> 1;

        // Input switch k crosses when input 2k must go to the lower subnetwork.
        const inputBits = bits[level];
        let inputSlot = filled[level];
        for (let pair = 0; pair < half; pair++) inputBits[inputSlot++] = side[offset + 2 * pair] === lower ? 1 : 0;
        filled[level] = inputSlot;

        // Output switch k crosses when output 2k must receive the lower subnetwork's output k.
        const outputLevel = level + networkDepth(size) - 1;
        const outputBits = bits[outputLevel];
        const outputPairs = outputSwitchCount(size);
        let outputSlot = filled[outputLevel];
        for (let pair = 0; pair < outputPairs; pair++) outputBits[outputSlot++] = side[offset + wanted[offset + 2 * pair]] === lower ? 1 : 0;
        filled[outputLevel] = outputSlot;

        // Input i enters its subnetwork at index i >> 1 and output j leaves it at index j >> 1 (the odd last one included).
        for (let output = 0; output < size; output++) {
          const input = wanted[offset + output];
          const childOffset = side[offset + input] === upper ? nextOffset : nextOffset + half;
          nextWanted[childOffset + (output >> 1)] = input >> 1;
        }
        nextBlockSizes[nextBlockCount++] = half;
        nextBlockSizes[nextBlockCount++] = size - half;
        nextOffset += size;
      }
      offset += size;
    }
    [wanted, nextWanted] = [nextWanted, wanted];
    [blockSizes, nextBlockSizes] = [nextBlockSizes, blockSizes];
    blockCount = nextBlockCount;
  }

  for (let layer = 0; layer < counts.length; layer++) {
    if (filled[layer] !== counts[layer]) throw new Error(`routeWaksman: layer ${layer} got ${filled[layer]} bits, planned ${counts[layer]}`);
  }
  return bits;
}

/** Applies layers and bits to a copy of `values` (for tests and for the clear-text backend). */
export function applyNetwork<T>(values: readonly T[], layers: readonly SwitchLayer[], bits: readonly Uint8Array[]): T[] {
  if (layers.length !== bits.length) throw new RangeError(`applyNetwork: ${layers.length} layers but ${bits.length} bit vectors`);
  const result = values.slice();
  for (let layerIndex = 0; layerIndex < layers.length; layerIndex++) {
    const { low, high } = layers[layerIndex];
    const layerBits = bits[layerIndex];
    if (low.length !== high.length || layerBits.length !== low.length) {
      throw new RangeError(`applyNetwork: layer ${layerIndex} has ${low.length}/${high.length} positions and ${layerBits.length} bits`);
    }
    for (let switchIndex = 0; switchIndex < low.length; switchIndex++) {
      if (layerBits[switchIndex] === 0) continue;
      const a = low[switchIndex];
      const b = high[switchIndex];
      const held = result[a];
      result[a] = result[b];
      result[b] = held;
    }
  }
  return result;
}

/** A uniformly random permutation of 0..n-1 (Fisher–Yates) drawing only from node:crypto's CSPRNG. */
export function randomPermutation(n: number): Int32Array {
  assertSize(n);
  const permutation = new Int32Array(n);
  for (let i = 0; i < n; i++) permutation[i] = i;
  // Random 32-bit words fetched in batches; one randomInt call per element is several times slower at millions of elements.
  const words = new Uint32Array(4096);
  let used = words.length;
  for (let last = n - 1; last > 0; last--) {
    const bound = last + 1;
    // Rejection sampling: accept only words below the largest multiple of `bound`, so `word % bound` is unbiased.
    const acceptBelow = 0x100000000 - (0x100000000 % bound);
    let word: number;
    do {
      if (used === words.length) {
        randomFillSync(words);
        used = 0;
      }
      word = words[used++];
    } while (word >= acceptBelow);
    const chosen = word % bound;
    const held = permutation[last];
    permutation[last] = permutation[chosen];
    permutation[chosen] = held;
  }
  return permutation;
}
