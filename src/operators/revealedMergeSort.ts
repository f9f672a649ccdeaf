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
 *
 * Each round's searches or blocks are split in two groups worked in turn, the next group's comparisons made
 * while the previous group's outcomes are on their way: the garbler garbles one group while the evaluator
 * evaluates the other, instead of each waiting for the other every round.
 */

/**
 * Outputs per block: more rounds for larger blocks, more binary-search comparisons for smaller ones. A round
 * compares about lanes / blockSize pairs, so large sorts take larger blocks while a round still holds a few
 * thousand comparisons (tens of milliseconds of garbling, against a round trip of a few): 64 up to 262,144
 * lanes, 256 from 1,048,576 (at 1.3 M lanes 26.4 M comparisons instead of 28.8 M, in 8,017 rounds instead of 2,543).
 */
export function mergeBlockSize(lanes: number): number {
  return Math.min(256, Math.max(64, 2 ** Math.floor(Math.log2(Math.max(1, lanes / 4096)))));
}

/** Groups worked in turn within a round (two: one for each party to work on). */
const GROUPS = 2;

/**
 * One round of comparisons: resolves once they are made (in the circuit), with `outcomes`, whose bit i tells
 * whether the key of lane first[i] is below the key of lane second[i]. The next comparisons may be made before
 * the outcomes arrive.
 */
export type RevealedLess = (first: Int32Array, second: Int32Array) => Promise<{ outcomes: Promise<Uint8Array> }>;

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

/** Round trips of a phase, given each item's rounds in item order: one per round of each group (runRounds' groups). */
function roundTrips(itemRounds: number[]): number {
  let trips = 0;
  for (let group = 0; group < GROUPS; group++) trips += itemRounds.reduce((most, rounds, index) => (index % GROUPS === group ? Math.max(most, rounds) : most), 0);
  return trips;
}

/** Comparisons and round trips of the whole sort, from the public schedule alone. */
export function revealedMergeSortCost(lanes: number, blockSize = mergeBlockSize(lanes)): { comparisons: number; rounds: number } {
  let comparisons = 0, rounds = 0;
  for (let runLength = 1; runLength < lanes; runLength *= 2) {
    // Each search's and block's rounds, in the order revealedMergeSort lists them.
    const searchRounds: number[] = [], blockRounds: number[] = [];
    for (const merge of mergesOfLevel(lanes, runLength)) {
      const boundaries = boundariesOf(merge, blockSize);
      for (const boundary of boundaries) searchRounds.push(boundary.steps);
      let previous = 0;
      for (const outputs of [...boundaries.map((boundary) => boundary.outputs), merge.left + merge.right]) {
        blockRounds.push(merge.right === 0 ? 0 : outputs - previous - 1);
        previous = outputs;
      }
    }
    comparisons += [...searchRounds, ...blockRounds].reduce((sum, count) => sum + count, 0);
    rounds += roundTrips(searchRounds) + roundTrips(blockRounds);
  }
  return { comparisons, rounds };
}

/**
 * Rounds of comparisons over items split in GROUPS fixed groups (by their index in `items`, so that an item's
 * outcome is always in before its group's next round), each group's round made once its previous round's
 * outcomes are in. `roundsOf(item)` says in how many rounds an item compares (the same for every outcome);
 * `pairOf(item)` gives its comparison, or undefined for padding; `apply(item, below)` takes its outcome.
 */
async function runRounds<T>(items: readonly T[], roundsOf: (item: T) => number, pairOf: (item: T) => [number, number] | undefined, apply: (item: T, below: number) => void, less: RevealedLess): Promise<void> {
  const groups = Array.from({ length: GROUPS }, (_, group) => items.filter((_, index) => index % GROUPS === group));
  const rounds = items.reduce((most, item) => Math.max(most, roundsOf(item)), 0);
  const pending: Array<{ items: T[]; outcomes: Promise<Uint8Array> } | undefined> = new Array(GROUPS).fill(undefined);
  const settle = async (group: number) => {
    const waiting = pending[group];
    if (!waiting) return;
    pending[group] = undefined;
    const below = await waiting.outcomes;
    waiting.items.forEach((item, index) => apply(item, below[index]));
  };
  for (let round = 0; round < rounds; round++) {
    for (let group = 0; group < GROUPS; group++) {
      await settle(group);
      const mine = groups[group].filter((item) => roundsOf(item) > round);
      if (mine.length === 0) continue;
      const first = new Int32Array(mine.length), second = new Int32Array(mine.length);
      mine.forEach((item, index) => {
        const pair = pairOf(item);
        // Padding compares lane 0 with itself: never below.
        if (pair) [first[index], second[index]] = pair;
      });
      pending[group] = { items: mine, outcomes: (await less(first, second)).outcomes };
    }
  }
  for (let group = 0; group < GROUPS; group++) await settle(group);
}

/**
 * The order of `lanes` lanes by distinct keys: position p of the result is the lane with the p-th smallest key.
 * `less` runs one round of comparisons; the schedule is revealedMergeSortCost's.
 */
export async function revealedMergeSort(lanes: number, less: RevealedLess, blockSize = mergeBlockSize(lanes)): Promise<Int32Array> {
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
    const middleOf = (search: { low: number; high: number }) => (search.low + search.high) >>> 1;
    await runRounds(searches, (search) => search.steps,
      (search) => (search.low === search.high ? undefined : [rightLane(search.merge, search.outputs - middleOf(search) - 1), leftLane(search.merge, middleOf(search))]),
      (search, below) => {
        if (search.low === search.high) return;
        const mid = middleOf(search);
        if (below) search.high = mid;
        else search.low = mid + 1;
      }, less);

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
    const bothSidesLeft = (block: (typeof blocks)[number]) => block.left < block.leftEnd && block.right < block.rightEnd;
    await runRounds(blocks, (block) => block.rounds,
      (block) => (bothSidesLeft(block) ? [leftLane(block.merge, block.left), rightLane(block.merge, block.right)] : undefined),
      (block, below) => {
        if (!bothSidesLeft(block)) return;
        next[block.out++] = below ? leftLane(block.merge, block.left++) : rightLane(block.merge, block.right++);
      }, less);
    for (const block of blocks) {
      while (block.left < block.leftEnd) next[block.out++] = leftLane(block.merge, block.left++);
      while (block.right < block.rightEnd) next[block.out++] = rightLane(block.merge, block.right++);
    }
    order = next;
  }
  return order;
}
