/** `catalyst compute`: run the study's queries in MPC as the garbler or the evaluator. */
import type { Command } from "commander";
import { UsageError } from "../share/errors.js";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { partyOf, type Role, type Study } from "../share/study.js";
import { openBucket } from "../transport/bucket.js";
import { pullShares } from "../transport/bucketPull.js";
import { looksLikeUrl, parseStoreAddress } from "../transport/storeAddress.js";
import { runCompute } from "../operators/computeRun.js";
import { audited } from "./auditLog.js";
import { action, collect } from "./command.js";
import { loadSecretKey, loadStudy } from "./files.js";
import type { Reporter } from "./output.js";
import { fileDigest } from "../transport/fileDigests.js";
import { computeRoleOf, inboxDigests, warnUnexpected } from "./inbox.js";

interface ComputeFlags {
  party: string;
  study: string;
  key: string;
  inbox: string;
  out: string;
  query?: string[];
  listen?: string;
  connect?: string;
  ssh?: string;
  sshKey?: string;
  knownHosts?: string;
  sshFingerprint?: string;
  connectTimeout: string;
  idleTimeout: string;
  timeout: string;
  workers: string;
}

/** A sanity bound on --workers, far above any useful count (each pair keeps about a core busy per party). */
const MAX_WORKERS = 64;

/** Node timers cannot wait longer than 2^31−1 ms (about 24.8 days). */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

function seconds(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new UsageError(`${flag} expects a number of seconds, got "${value}"`);
  if (parsed > MAX_TIMER_SECONDS) throw new UsageError(`${flag} may be at most ${MAX_TIMER_SECONDS} seconds (about 24 days), got ${value}`);
  return parsed;
}

/** A bucket given as --inbox is pulled into OUT/inbox first, so compute always reads local, verified files. */
async function localInbox(inbox: string, out: string, study: Study, role: Role, reporter: Reporter): Promise<string> {
  if (!looksLikeUrl(inbox)) return inbox;
  const bucket = await openBucket(parseStoreAddress(inbox));
  const local = join(out, "inbox");
  const { pulled, unexpected } = await pullShares(bucket, study, role, local);
  warnUnexpected(reporter, bucket.description, role, unexpected);
  reporter.note(`${role}: pulled ${pulled.filter((file) => file.status === "downloaded").length} shares from ${bucket.description} into ${local}`);
  return local;
}

export function registerCompute(program: Command): void {
  program
    .command("compute")
    .description("run the study's queries in MPC with the other compute party; writes OUT/QUERY.PARTY.result")
    .requiredOption("--party <role>", "garbler or evaluator")
    .requiredOption("--study <file>", "study.json")
    .requiredOption("--key <file>", "this compute party's secret key")
    .requiredOption("--inbox <dir|url>", "the folder holding this party's shares, or its bucket (azure://… or s3://…, pulled into OUT/inbox)")
    .requiredOption("--out <dir>", "where to write this party's sealed result shares")
    .option("--query <name>", "run only this query (repeatable; default: all of the study's)", collect)
    .option("--listen <host:port>", "garbler: where to wait for the evaluator (use 127.0.0.1 behind the SSH server)")
    .option("--connect <host:port>", "evaluator: the garbler's listener (with --ssh: as seen from the SSH server)")
    .option("--ssh <user@host[:port]>", "evaluator: reach the garbler through its SSH server")
    .option("--ssh-key <file>", "evaluator: the private key for --ssh")
    .option("--known-hosts <file>", "evaluator: known_hosts file that must list the SSH server's host key")
    .option("--ssh-fingerprint <SHA256:…>", "evaluator: pinned host key fingerprint of the SSH server")
    .option("--connect-timeout <seconds>", "how long to wait for the peer to appear", "120")
    .option("--idle-timeout <seconds>", "how long the peer may stay silent before it counts as gone", "60")
    .option("--timeout <seconds>", "give up if the whole session (after connecting) takes longer than this", "86400")
    .option("--workers <count>", "worker pairs that run queries side by side, one channel each; both parties must give the same", "1")
    .action(action<ComputeFlags>(async (flags, reporter) => {
      if (flags.party !== "garbler" && flags.party !== "evaluator") throw new UsageError(`--party must be garbler or evaluator, got "${flags.party}"`);
      const role = flags.party as Role;
      if (flags.ssh && !flags.sshKey) throw new UsageError("--ssh needs --ssh-key FILE");
      const workers = Number(flags.workers);
      if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) throw new UsageError(`--workers expects a whole number from 1 to ${MAX_WORKERS}, got "${flags.workers}"`);
      if (workers > availableParallelism()) reporter.warn(`--workers ${workers} on ${availableParallelism()} cores: each pair keeps about a core busy and holds a circuit in memory of its own, so more pairs than cores only add memory`);
      const study = await loadStudy(flags.study);
      const key = await loadSecretKey(flags.key);
      const keyRole = computeRoleOf(study, key.publicKey, flags.key);
      if (keyRole !== role) throw new UsageError(`--party=${role}, but ${flags.key} is the ${keyRole}'s key (${partyOf(study, keyRole).name})`);
      const progress = reporter.progress(`${role}: starting`);
      const started = performance.now();
      // The ETA is per query: each query's AND total is known in advance, the session's is not summed. With
      // several worker pairs, queries run side by side and the line shows whichever reported last.
      const queryStarts = new Map<string, number>();
      const summary = await audited(flags, reporter, { action: "compute", study, actingAs: `${role} ${partyOf(study, role).name}` }, async () => {
        try {
          const inbox = await localInbox(flags.inbox, flags.out, study, role, reporter);
          const inputs = await inboxDigests(study, role, inbox);
          const done = await runCompute({
            study, role, secretKey: key.secretKey, inbox, out: flags.out, queries: flags.query,
            listen: flags.listen, connect: flags.connect,
            ssh: flags.ssh ? { target: flags.ssh, keyFile: flags.sshKey!, knownHostsFile: flags.knownHosts, fingerprint: flags.sshFingerprint } : undefined,
            connectTimeoutSeconds: seconds(flags.connectTimeout, "--connect-timeout"),
            idleTimeoutSeconds: seconds(flags.idleTimeout, "--idle-timeout"),
            timeoutSeconds: seconds(flags.timeout, "--timeout"),
            workers,
          }, {
            onPhase: (text) => { progress.update(`${role}: ${text}`); reporter.note(`${role}: ${text}`); },
            onProgress: (query, state) => {
              if (!queryStarts.has(query)) queryStarts.set(query, performance.now());
              const queryStarted = queryStarts.get(query)!;
              const done = state.andGatesTotal > 0 ? state.andGatesDone / state.andGatesTotal : 0;
              const elapsed = (performance.now() - queryStarted) / 1000;
              const eta = done > 0.01 ? ` ETA ${Math.max(0, elapsed / done - elapsed).toFixed(0)} s` : "";
              progress.update(`${role} ${query}: ${state.phase} ${state.andGatesDone.toLocaleString("en-US")}/${state.andGatesTotal.toLocaleString("en-US")} ANDs, ${(state.bytesSent / 1e6).toFixed(1)} MB sent${eta}`);
            },
          });
          const results = await Promise.all(done.queries.map(async (query) => ({ query: query.query, run: query.run, andGates: query.andGates, file: query.resultFile, digest: await fileDigest(query.resultFile) })));
          return { result: done, details: { inputs, results, bytesSent: done.bytesSent, bytesReceived: done.bytesReceived } };
        } finally {
          progress.stop();
        }
      });
      const totalSeconds = (performance.now() - started) / 1000;
      const peakRssBytes = process.resourceUsage().maxRSS * 1024;
      reporter.result({ study: study.id, role, party: partyOf(study, role).name, seconds: totalSeconds, peakRssBytes, ...summary });
      for (const query of summary.queries) {
        reporter.line(`${query.query}: ${query.andGates.toLocaleString("en-US")} ANDs, OT ${query.seconds.ot.toFixed(2)} s, circuit ${query.seconds.circuit.toFixed(2)} s → ${query.resultFile}`);
      }
      reporter.line(`${partyOf(study, role).name} (${role}): sent ${(summary.bytesSent / 1e6).toFixed(2)} MB, received ${(summary.bytesReceived / 1e6).toFixed(2)} MB in ${totalSeconds.toFixed(1)} s`);
    }));
}
