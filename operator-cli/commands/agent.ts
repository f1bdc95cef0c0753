/**
 * `snode node agent`: the long-running companion of a node. Decrypts the
 * node key once at start-up, then runs unattended: sends uptime proofs on
 * schedule, answers the registry's reachability challenge on the advertised
 * port, and raises alerts (loudly on decommission). Stops cleanly on SIGINT
 * or SIGTERM.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { toHex } from "../../registry/core/bytes.ts";
import { signMessage } from "../../registry/core/messages.ts";
import { RegistryApiError } from "../../registry/client/errors.ts";
import { type Alert, AlertSink, OutageTracker } from "../alerts.ts";
import { challengeHandler } from "../challenge.ts";
import { classify, CliError } from "../errors.ts";
import { unlockKey } from "../keystore.ts";
import { sleep } from "../../registry/client/api.ts";
import { printAlert, runMonitor, untilReachable } from "../monitor.ts";
import { parsePort, parsePositive } from "../parse.ts";
import { defaultSequence } from "../signing.ts";
import {
  type AlertCliOptions,
  parseAlertOptions,
  proofFields,
  withAlertOptions,
} from "./node_options.ts";
import { examples, type MakeContext } from "./shared.ts";

/** Statuses the registry takes uptime proofs for. */
const LIVE = new Set(["awaiting_contributions", "active", "decommissioned"]);

/** Why the agent sends no proofs, and what would change that. */
function notLive(status: string): string {
  if (status === "exited") {
    return "node has exited (its stakes were returned): no more proofs; stop the agent, or register the node again and proofs resume";
  }
  if (status === "deregistered") {
    return "node is deregistered: the registry takes no proofs from it; register it again (snode node register) and proofs resume";
  }
  return `node is ${status}: the registry takes no proofs from it; proofs resume if it is registered again`;
}

export function agentCommand(make: MakeContext) {
  return examples(
    withAlertOptions(
      new Command("agent")
        .description(
          "run alongside the node: uptime proofs on schedule, reachability answers, alerts; Ctrl-C or SIGTERM stops it",
        )
        .option("--node-key <name>", "node keystore name or path", "node")
        .requiredOption(
          "--ip <ipv4>",
          "the node's public IPv4 address (advertised in proofs)",
        )
        .option(
          "--https-port <port>",
          "advertised storage HTTPS port; the challenge is answered there",
          "22021",
        )
        .option("--quic-port <port>", "advertised storage QUIC port", "22020")
        .option("--node-version <x.y.z>", "service node version", "11.0.0")
        .option("--storage-version <x.y.z>", "storage server version", "2.10.0")
        .option(
          "--listen <host>",
          "address the challenge server binds",
          "0.0.0.0",
        )
        .option(
          "--listen-port <port>",
          "port the challenge server binds (default: --https-port; differs behind a port forward)",
        )
        .option(
          "--proof-interval <seconds>",
          "seconds between proofs (default: the network's proof interval)",
        ),
    ).action(async (opts, cmd) => {
      const ctx = make(cmd);
      const fields = proofFields(opts);
      const a = cmd.opts() as unknown as AlertCliOptions;
      const { thresholds, webhook, unreachableAfter, failFast } =
        parseAlertOptions(ctx, a);
      const listenPort = opts.listenPort === undefined
        ? fields.httpsPort
        : parsePort(opts.listenPort, "--listen-port");
      // The key first: a wrong passphrase fails now, not once the registry answers.
      const key = await unlockKey(ctx, opts.nodeKey, "node");
      const pubkey = toHex(key.publicKey);
      const signal = ctx.io.signal;
      const log = (
        type: string,
        text: string,
        data: Record<string, unknown> = {},
      ) => {
        if (ctx.out.json) {
          ctx.io.stdout(
            JSON.stringify({
              type,
              at: Math.floor(Date.now() / 1000),
              ...data,
              message: text,
            }) + "\n",
          );
        } else {
          ctx.out.line(`${new Date().toISOString().slice(0, 19)}Z ${text}`);
        }
      };
      const sink = new AlertSink({
        write: (a: Alert) => printAlert(ctx, a),
        ...(webhook === undefined ? {} : { webhook }),
        warn: (t) => ctx.out.warn(t),
      });
      const outage = new OutageTracker({
        url: ctx.client.baseUrl,
        afterSeconds: unreachableAfter,
      });

      // The registry may be down at start (a reboot, an upgrade): wait for
      // it rather than exit, so systemd does not crash-loop the agent.
      const start = await untilReachable(ctx, async () => {
        const info = await ctx.info();
        try {
          return { info, detail: await ctx.client.node(pubkey) };
        } catch (e) {
          if (e instanceof RegistryApiError && e.code === "unknown_node") {
            throw new CliError(
              "refused",
              "unknown_node",
              `node ${pubkey} is not registered on ${ctx.client.baseUrl}: register it first (snode node register)`,
            );
          }
          throw e;
        }
      }, {
        outage,
        deliver: (alerts) => sink.deliver(alerts),
        failFast,
        signal,
      });
      if (start === undefined) {
        await sink.flush();
        log("stopped", "agent stopped before the registry answered");
        return;
      }
      const { info } = start;
      // Proofs go only to a node the registry takes them for; the status
      // comes from the monitor's polls.
      let status: string = start.detail.status;
      const intervalMs = opts.proofInterval !== undefined
        ? parsePositive(opts.proofInterval, "--proof-interval", 86400) * 1000
        : info.rules.proofIntervalEpochs * info.epochSeconds * 1000;
      const pollMs = a.poll !== undefined
        ? parsePositive(a.poll, "--poll", 86400) * 1000
        : Math.max(5000, intervalMs);

      // Reachability: answer the registry's challenge on the advertised port.
      const stopServer = new AbortController();
      let server: Deno.HttpServer;
      try {
        server = Deno.serve(
          {
            hostname: opts.listen,
            port: listenPort,
            signal: stopServer.signal,
            onListen: ({ hostname, port }) =>
              log(
                "listening",
                `answering reachability challenges on ${hostname}:${port}`,
                { hostname, port },
              ),
            onError: () => new Response("error", { status: 500 }),
          },
          challengeHandler({
            network: info.networkId,
            secretKey: key.secretKey,
            publicKey: key.publicKey,
            onChallenge: (ok, detail, remote) =>
              ctx.out.debug(
                `challenge from ${remote}: ${ok ? "answered" : detail}`,
              ),
          }),
        );
      } catch (e) {
        throw new CliError(
          "usage",
          "cannot_listen",
          `cannot listen on ${opts.listen}:${listenPort} for reachability challenges: ${
            (e as Error).message
          }`,
        );
      }
      log(
        "start",
        `agent for node ${pubkey} on ${info.network}: a proof every ${
          intervalMs / 1000
        } s to ${ctx.client.baseUrl}`,
        { node: pubkey },
      );

      // Uptime proofs on schedule, while the node is live.
      const proofs = (async () => {
        let failures = 0;
        let alerted = false;
        let paused = false;
        while (!signal.aborted) {
          if (!LIVE.has(status)) {
            if (!paused) {
              paused = true;
              log("paused", notLive(status), { status });
            }
            await sleep(pollMs, signal);
            continue;
          }
          if (paused) {
            paused = false;
            log("resumed", `node is ${status} again: proofs resume`, {
              status,
            });
          }
          let wait = intervalMs;
          try {
            const message = signMessage({
              kind: "uptime_proof",
              network: info.networkId,
              timestamp: Math.floor(Date.now() / 1000),
              sequence: defaultSequence(),
              nodePubkey: key.publicKey,
              ...fields,
            }, [key.secretKey]);
            const result = await ctx.client.submit(
              message.bytes,
              "uptime_proof",
            );
            failures = 0;
            alerted = false;
            if (result.status !== null) status = result.status;
            log("proof", `proof accepted: node is ${result.status}`, {
              status: result.status,
              epoch: result.epoch,
            });
          } catch (e) {
            const c = classify(e);
            if (c.code === "proof_too_soon") {
              log("proof_skipped", `proof not needed yet: ${c.message}`);
            } else if (c.code === "node_not_live") {
              // Exited or deregistered since the last poll: ask which.
              status = (await ctx.client.node(pubkey).catch(() => null))
                ?.status ?? "not live";
              continue;
            } else {
              failures++;
              // A refusal will not change in 5 s; a network blip might.
              if (c.exit !== 1) wait = Math.min(intervalMs, 5000);
              ctx.out.warn(
                `proof ${failures} failed: ${c.message} (${c.code}); retrying in ${
                  wait / 1000
                } s`,
              );
              if (!alerted && failures >= (thresholds.missedProofs ?? 2)) {
                alerted = true; // once until a proof is accepted again
                sink.deliver([{
                  key: `proof_send_failed:${pubkey}:${Date.now()}`,
                  kind: "proofs_missed",
                  severity: "warning",
                  node: pubkey,
                  message:
                    `${failures} uptime proofs in a row could not be delivered: ${c.message}`,
                  at: Math.floor(Date.now() / 1000),
                  data: { failures, code: c.code },
                }]);
              }
            }
          }
          await sleep(wait, signal);
        }
      })();

      const monitor = runMonitor(ctx, {
        nodes: () => [pubkey],
        sink,
        thresholds,
        pollMs,
        signal,
        info,
        outage,
        onStatus: (d) => {
          status = d.status;
        },
      }).catch((e) =>
        ctx.out.warn(`monitoring stopped: ${(e as Error).message}`)
      );

      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      log(
        "stopping",
        "stopping: no more proofs; the registry will decommission the node once its last proof expires",
      );
      stopServer.abort();
      await Promise.allSettled([proofs, monitor, server.finished]);
      await sink.flush();
      log("stopped", "agent stopped");
    }),
    [
      "snode node agent --ip 203.0.113.7 --https-port 22021 --quic-port 22020",
      "snode node agent --ip 203.0.113.7 --listen 127.0.0.1 --listen-port 8022 --webhook https://hooks.example/x",
      "SNODE_NODE_PASSPHRASE_FILE=... snode node agent --ip 203.0.113.7 --json >> agent.log",
    ],
  );
}
