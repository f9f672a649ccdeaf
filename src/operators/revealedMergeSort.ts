/**
 * Merge sort by comparisons whose outcomes are public, on a fixed schedule: for a given lane count, every
 * level runs the same rounds with the same number of comparisons whatever the outcomes, so the circuit, the
 * traffic and the time depend only on public sizes (threat model, invariant 1) even though which lanes meet
 * depends on earlier outcomes. Only sound on distinct keys after a shuffle (shuffleSort.ts), where the
 * outcomes are those of a uniformly random order.
 *
 * A level merges neighbouring runs in blocks of `blockSize` outputs, all merges of the level side by side:
 * first each block boundary's co-rank (how many of the left run's rows come before it) by a binary search of
 * a fixed number of steps, then each block by a plain merge of blockSize − 1 comparisons. A search that has
 * converged, or a block with one side used up, pads its round with a comparison of lane 0 with itself. That
 * is about n·lg n + (n / blockSize)·lg²n / 2 comparisons in about lg n·(blockSize + lg n) rounds.
 */

/** Outputs per block: more rounds for larger blocks, more binary-search comparisons for smaller ones. */
export const MERGE_BLOCK_SIZE = 64;

/** One round: bit i tells whether the key of lane first[i] is below the key of lane second[i]. */
export type RevealedLess = (first: Int32Array, second: Int32Array) => Promise<Uint8Array>;

interface Merge {
  /** Where the two runs start in the current order; the left run has `left` lanes, the right `right`. */
  start: number;
  left: number;
  right: number;
}

function mergesOfLevel(lanes: number, runLength: number): Merge[] {
  const merges: Merge[] = [];
  for (let start = 0; start < lanes; start += 2 * runLength) {
    const left = Math.min(runLength, lanes - start);
    merges.push({ start, left, right: Math.min(runLength, lanes - start - left) });
  }
  return merges;
}

/** The block boundaries of a merge (outputs before each), each with the range its co-rank lies in. */
function boundariesOf(merge: Merge, blockSize: number): Array<{ outputs: number; low: number; high: number; steps: number }> {
  const boundaries = [];
  if (merge.right === 0) return [];
  for (let outputs = blockSize; outputs < merge.left + merge.right; outputs += blockSize) {
    const low = Math.max(0, outputs - merge.right), high = Math.min(outputs, merge.left);
    boundaries.push({ outputs, low, high, steps: Math.ceil(Math.log2(high - low + 1)) });
  }
  return boundaries;
}

/** Comparisons and rounds of the whole sort, from the public schedule alone. */
export function revealedMergeSortCost(lanes: number, blockSize = MERGE_BLOCK_SIZE): { comparisons: number; rounds: number } {
  let comparisons = 0, rounds = 0;
  for (let runLength = 1; runLength < lanes; runLength *= 2) {
    let searchRounds = 0, blockRounds = 0;
    for (const merge of mergesOfLevel(lanes, runLength)) {
      if (merge.right === 0) continue;
      const boundaries = boundariesOf(merge, blockSize);
      for (const boundary of boundaries) { comparisons += boundary.steps; searchRounds = Math.max(searchRounds, boundary.steps); }
      let previous = 0;
      for (const outputs of [...boundaries.map((boundary) => boundary.outputs), merge.left + merge.right]) {
        comparisons += outputs - previous - 1;
        blockRounds = Math.max(blockRounds, outputs - previous - 1);
        previous = outputs;
      }
    }
    rounds += searchRounds + blockRounds;
  }
  return { comparisons, rounds };
}

/**
 * The order of `lanes` lanes by distinct keys: position p of the result is the lane with the p-th smallest key.
 * `less` runs one round of comparisons; the schedule is revealedMergeSortCost's.
 */
export async function revealedMergeSort(lanes: number, less: RevealedLess, blockSize = MERGE_BLOCK_SIZE): Promise<Int32Array> {
  let order = Int32Array.from({ length: lanes }, (_, lane) => lane);
  for (let runLength = 1; runLength < lanes; runLength *= 2) {
    const merges = mergesOfLevel(lanes, runLength);
    const next = new Int32Array(lanes);
    const current = order;
    // Left run's lane at index i, right run's at j, of a merge.
    const leftLane = (merge: Merge, i: number) => current[merge.start + i];
    const rightLane = (merge: Merge, j: number) => current[merge.start + merge.left + j];

    // Co-ranks: the smallest i in [low, high] with i = left, or outputs − i − 1 < 0, or right[outputs − i − 1] < left[i].
    const searches = merges.flatMap((merge) => boundariesOf(merge, blockSize).map((boundary) => ({ merge, ...boundary })));
    const searchRounds = searches.reduce((most, search) => Math.max(most, search.steps), 0);
    for (let round = 0; round < searchRounds; round++) {
      const active = searches.filter((search) => search.steps > round);
      const first = new Int32Array(active.length), second = new Int32Array(active.length), middle = new Int32Array(active.length);
      active.forEach((search, index) => {
        if (search.low === search.high) { middle[index] = -1; return; }
        const mid = (search.low + search.high) >>> 1;
        middle[index] = mid;
        first[index] = rightLane(search.merge, search.outputs - mid - 1);
        second[index] = leftLane(search.merge, mid);
      });
      const below = await less(first, second);
      active.forEach((search, index) => {
        const mid = middle[index];
        if (mid < 0) return;
        if (below[index]) search.high = mid;
        else search.low = mid + 1;
      });
    }

    // Blocks: between consecutive boundaries, a plain merge padded to (outputs − 1) comparisons.
    const blocks: Array<{ merge: Merge; left: number; leftEnd: number; right: number; rightEnd: number; out: number; rounds: number }> = [];
    let searchIndex = 0;
    for (const merge of merges) {
      const cuts = [{ outputs: 0, coRank: 0 }];
      while (searchIndex < searches.length && searches[searchIndex].merge === merge) {
        cuts.push({ outputs: searches[searchIndex].outputs, coRank: searches[searchIndex].low });
        searchIndex++;
      }
      cuts.push({ outputs: merge.left + merge.right, coRank: merge.left });
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [from, to] = [cuts[k], cuts[k + 1]];
        blocks.push({
          merge, left: from.coRank, leftEnd: to.coRank, right: from.outputs - from.coRank, rightEnd: to.outputs - to.coRank,
          out: merge.start + from.outputs, rounds: merge.right === 0 ? 0 : to.outputs - from.outputs - 1,
        });
      }
    }
    const blockRounds = blocks.reduce((most, block) => Math.max(most, block.rounds), 0);
    for (let round = 0; round < blockRounds; round++) {
      const active = blocks.filter((block) => block.rounds > round);
      const first = new Int32Array(active.length), second = new Int32Array(active.length);
      active.forEach((block, index) => {
        if (block.left < block.leftEnd && block.right < block.rightEnd) {
          first[index] = leftLane(block.merge, block.left);
          second[index] = rightLane(block.merge, block.right);
        }
      });
      const below = await less(first, second);
      active.forEach((block, index) => {
        if (!(block.left < block.leftEnd && block.right < block.rightEnd)) return;
        next[block.out++] = below[index] ? leftLane(block.merge, block.left++) : rightLane(block.merge, block.right++);
      });
    }
    for (const block of blocks) {
      while (block.left < block.leftEnd) next[block.out++] = leftLane(block.merge, block.left++);
      while (block.right < block.rightEnd) next[block.out++] = rightLane(block.merge, block.right++);
    }
    order = next;
  }
  return order;
}
