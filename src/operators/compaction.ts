/**
 * Order-preserving oblivious compaction with about (n/2)·lg n conditional swaps of whole rows: valid lanes
 * move to the front, keeping their order (Goodrich's tight compaction as ORCompact by Sasy, Johnson and
 * Goldberg, CCS 2022). Which lanes meet depends only on the lane count; only the swap bits are secret.
 *
 * The lanes split into power-of-two blocks, smallest first (the binary digits of n). Each block is compacted
 * with an offset z: its j-th valid row lands on (z + j) mod size. A block of size 2h does its halves first
 * (offsets z mod h and (z + m) mod h, m the valid rows of the left half), then swaps lane q of each half with
 * lane q of the other where one half's rows belong in the other. The blocks are then merged into the compacted
 * prefix before them, one layer each. The counts, offsets and swap bits are small integers per tree node, so
 * the swaps of rows dominate.
 */
import type { Backend } from "../circuit/backend.js";
import { constantInteger, encodeIntegers, plane, planeRange, zeroExtend, type BitPlanes } from "../circuit/bitVector/bitPlanes.js";
import { lessThan } from "../circuit/bitVector/compare.js";
import { add, bitLength } from "../circuit/bitVector/integer.js";
import type { WireVector } from "../circuit/wireVector.js";
import { concatLanes, gatherLanes, type Relation } from "./relation.js";
import { exclusiveParts, partsWidth, relationParts } from "./recordParts.js";
import { swapPairsInPlace } from "./sortRelation.js";
import { CHUNK_WIRES } from "./chunks.js";
import { receive, type Given } from "./handOver.js";

/** A power-of-two run of lanes, compacted on its own before the merges. */
interface Block {
  offset: number;
  /** lg of its size. */
  levels: number;
}

/** The blocks of `lanes`, smallest first, so that each is at least as large as all before it together. */
function blocksOf(lanes: number): Block[] {
  const blocks: Block[] = [];
  let offset = 0;
  for (let levels = 0; 2 ** levels <= lanes; levels++) {
    if (Math.floor(lanes / 2 ** levels) % 2 === 1) {
      blocks.push({ offset, levels });
      offset += 2 ** levels;
    }
  }
  return blocks;
}

/**
 * The tree nodes of size 2^level in every block large enough, block by block, left to right: their first
 * lanes, and where each block's nodes start in that list.
 */
function nodesAt(blocks: Block[], level: number): { bases: number[]; blockStart: Map<Block, number> } {
  const bases: number[] = [];
  const blockStart = new Map<Block, number>();
  for (const block of blocks) {
    if (block.levels < level) continue;
    blockStart.set(block, bases.length);
    for (let base = block.offset; base < block.offset + 2 ** block.levels; base += 2 ** level) bases.push(base);
  }
  return { bases, blockStart };
}

type Nodes = ReturnType<typeof nodesAt>;

/** Per node of `above`: its left and right child's index in `below`, the level under it. */
function childIndices(above: Nodes, below: Nodes, level: number): { left: Int32Array; right: Int32Array } {
  const left = new Int32Array(above.bases.length);
  const right = new Int32Array(above.bases.length);
  for (const [block, start] of above.blockStart) {
    const count = 2 ** (block.levels - level);
    for (let k = 0; k < count; k++) {
      left[start + k] = below.blockStart.get(block)! + 2 * k;
      right[start + k] = left[start + k] + 1;
    }
  }
  return { left, right };
}

/**
 * Valid lanes first in their current order. Every cell of the invalid lanes after them is zero; with
 * `invalidRowsZeroed` the caller promises the input's invalid rows are zero already (as the disclosure rules
 * leave them), and the final masking is skipped, since swaps only move rows.
 */
export async function compact(backend: Backend, input: Given<Relation>, options: { lanesPerChunk?: number; invalidRowsZeroed?: boolean } = {}): Promise<Relation> {
  let relation: Relation | undefined = receive(input);
  const lanes = relation.lanes;
  if (lanes === 0) return relation;
  const { parts: vectors, unpack } = relationParts(relation);
  // The rows are compacted in their own storage when the relation owns it; otherwise in a copy, part by part.
  const parts = exclusiveParts(backend, vectors, relation.ownsStorage === true);
  // The valid bits, copied before any swap moves them; a handed-over input goes now.
  const valid = backend.concat([relation.valid]);
  relation = undefined;
  vectors.length = 0;
  const blocks = blocksOf(lanes);
  const topLevel = blocks[blocks.length - 1].levels;
  const pairsPerChunk = options.lanesPerChunk ?? Math.max(1024, Math.floor(CHUNK_WIRES / partsWidth(parts)));
  const nodes = Array.from({ length: topLevel + 1 }, (_, level) => nodesAt(blocks, level));
  const children = nodes.map((above, level) => (level === 0 ? undefined : childIndices(above, nodes[level - 1], level)));

  // counts[level]: valid rows under each node of that level (level + 1 bits).
  const counts: BitPlanes[] = [{ wires: valid, width: 1, lanes }];
  for (let level = 1; level <= topLevel; level++) {
    const { left, right } = children[level]!;
    const below = counts[level - 1];
    counts.push(await add(backend, zeroExtend(backend, gatherLanes(backend, below, left), level + 1), zeroExtend(backend, gatherLanes(backend, below, right), level + 1)));
  }
  // Valid rows before each block, and each block's offset: (size − its start + valid rows before it) mod size,
  // so that after the merges the j-th valid row of the whole relation sits on lane j.
  const countWidth = bitLength(lanes);
  const validBefore = new Map<Block, BitPlanes>();
  const rootOffset = new Map<Block, BitPlanes>();
  let before = constantInteger(backend, 0n, countWidth, 1);
  for (const block of blocks) {
    validBefore.set(block, before);
    if (block.levels > 0) {
      const shift = BigInt((2 ** block.levels - (block.offset % 2 ** block.levels)) % 2 ** block.levels);
      rootOffset.set(block, planeRange(backend, await add(backend, before, constantInteger(backend, shift, countWidth, 1)), 0, block.levels));
    }
    const total = gatherLanes(backend, counts[block.levels], [nodes[block.levels].blockStart.get(block)!]);
    before = await add(backend, before, zeroExtend(backend, total, countWidth));
  }

  // Top down: each node's offset z gives its children theirs, z mod h and (z + m) mod h, and its own swap
  // rule: with w = z + m, the halves swap lane q where (bit lg h of w) ⊕ (q ≥ w mod h).
  const swapRules: Array<{ threshold?: BitPlanes; flip: WireVector }> = [];
  let offsets: BitPlanes | undefined;
  for (let level = topLevel; level >= 1; level--) {
    const roots = blocks.filter((block) => block.levels === level).map((block) => rootOffset.get(block)!);
    // Nodes of this level in `nodesAt` order: the root of the block of exactly this size (blocks go smallest
    // first), then the children of the level above.
    offsets = offsets ? concatLanes(backend, [...roots, offsets]) : concatLanes(backend, roots);
    const { left } = children[level]!;
    const leftCount = zeroExtend(backend, gatherLanes(backend, counts[level - 1], left), level + 1);
    const sum = await add(backend, zeroExtend(backend, offsets, level + 1), leftCount);
    swapRules[level] = { threshold: level > 1 ? planeRange(backend, sum, 0, level - 1) : undefined, flip: plane(backend, sum, level - 1) };
    if (level === 1) break;
    // Children in node order: per node, its left child (z mod h), then its right child ((z + m) mod h).
    const leftOffsets = planeRange(backend, offsets, 0, level - 1);
    const rightOffsets = planeRange(backend, sum, 0, level - 1);
    const interleave = Int32Array.from({ length: 2 * offsets.lanes }, (_, index) => (index % 2 === 0 ? index / 2 : offsets!.lanes + (index - 1) / 2));
    offsets = gatherLanes(backend, concatLanes(backend, [leftOffsets, rightOffsets]), interleave);
  }

  // Bottom up: each level's swaps, every block's nodes side by side, in place in the rows' parts.
  for (let level = 1; level <= topLevel; level++) {
    const { bases } = nodes[level];
    const half = 2 ** (level - 1);
    const lower = new Int32Array(bases.length * half);
    const node = new Int32Array(bases.length * half);
    const position = new Int32Array(bases.length * half);
    bases.forEach((base, index) => {
      for (let q = 0; q < half; q++) {
        lower[index * half + q] = base + q;
        node[index * half + q] = index;
        position[index * half + q] = q;
      }
    });
    const rule = swapRules[level];
    await swapPairsInPlace(backend, parts, lower, lower.map((lane) => lane + half), pairsPerChunk, async (_first, _second, start, end) => {
      const flip = backend.gather(rule.flip, node.subarray(start, end));
      if (!rule.threshold) return backend.not(flip);
      const threshold = gatherLanes(backend, rule.threshold, node.subarray(start, end));
      const positions = publicIntegers(backend, position.subarray(start, end), level - 1);
      // flip ⊕ (q ≥ t) = flip ⊕ ¬(q < t)
      return backend.not(backend.xor(flip, await lessThan(backend, positions, threshold)));
    });
  }

  // Merges: the compacted prefix before each block holds its m valid rows on lanes [0, m); lane i ≥ m of it
  // takes the block's row that wrapped around to lane i + size.
  for (const block of blocks) {
    if (block.offset === 0) continue;
    const width = bitLength(block.offset);
    const valid = planeRange(backend, validBefore.get(block)!, 0, width);
    const lower = Int32Array.from({ length: block.offset }, (_, lane) => lane);
    await swapPairsInPlace(backend, parts, lower, lower.map((lane) => lane + 2 ** block.levels), pairsPerChunk, async (_first, _second, start, end) =>
      backend.not(await lessThan(backend, publicIntegers(backend, lower.subarray(start, end), width), gatherLanes(backend, valid, new Int32Array(end - start)))));
  }

  if (options.invalidRowsZeroed) return { ...unpack(parts), ownsStorage: true };
  // Invalid lanes still hold the dropped rows, whose contents would say what was dropped: zero them, part
  // by part in the order of the packed record.
  const masked: BitPlanes[] = [parts[0]];
  for (const part of parts.slice(1)) masked.push({ ...part, wires: await backend.andBroadcast(part.wires, parts[0].wires) });
  return { ...unpack(masked), ownsStorage: true };
}

/** Small public integers, one per lane. */
function publicIntegers(backend: Backend, values: Int32Array, width: number): BitPlanes {
  return { wires: backend.constant(encodeIntegers(Array.from(values, BigInt), width)), width, lanes: values.length };
}
