import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { bytesEqual, fromHex, toHex } from "../../registry/core/bytes.ts";
import {
  applyNodeListDiff,
  checkFreshness,
  decodeNodeList,
  keyIdOf,
  keyRotationOf,
  type NodeList,
  verifyChain,
  verifyCosignatures,
  verifyNodeList,
  withoutCosignatures,
} from "../../registry/core/nodelist.ts";
import { formatInt } from "../format.ts";

/** Props of {@linkcode VerifyList}: serialisable. */
export interface VerifyListProps {
  /** One-byte network id the list must carry. */
  networkId: number;
  /** The registry keys the page states, hex. */
  registryKeys: string[];
  /** Signatures needed from distinct keys. */
  threshold: number;
  /** The witness keys the page states, hex. */
  witnessKeys: string[];
  /** Co-signatures needed from them (0: none required). */
  witnessThreshold: number;
  /** Chain links to walk back from the latest list. */
  links: number;
  /** Where the explorer serves lists: `${base}/latest.bin`, `${base}/{epoch}.bin`, `${base}/{epoch}/diff.bin?from=`. */
  base: string;
}

type StepStatus = "waiting" | "running" | "ok" | "fail" | "skipped";

interface Step {
  id: string;
  title: string;
  status: StepStatus;
  detail: string;
}

const STEPS: [string, string][] = [
  ["download", "Download the latest signed list"],
  ["decode", "Decode it (format, network, sorted records)"],
  ["signatures", "Check the signatures against the stated keys"],
  ["cosignatures", "Check the witnesses' co-signatures"],
  ["fresh", "Check its validity window against this computer's clock"],
  ["chain", "Check the hash chain to earlier lists"],
  ["diff", "Rebuild it from the previous list and a diff"],
];

class NotFound extends Error {}

async function download(url: string): Promise<Uint8Array> {
  const res = await fetch(url, { cache: "no-store" });
  if (res.status === 404) throw new NotFound(`${url}: not kept (404)`);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function message(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

/**
 * Verifies the registry's latest node list in the browser with the protocol
 * core's own verifier: decoding, k-of-n signatures against the keys the page
 * states, freshness, the hash chain and the diff, showing each step.
 */
export function VerifyList(props: VerifyListProps) {
  const steps = useSignal<Step[]>(
    STEPS.map(([id, title]) => ({ id, title, status: "waiting", detail: "" })),
  );
  const verdict = useSignal<{ ok: boolean; text: string } | null>(null);
  const running = useSignal(false);
  const ready = useSignal(false);
  useEffect(() => {
    ready.value = true;
  }, []);

  function set(id: string, status: StepStatus, detail: string) {
    steps.value = steps.value.map((s) =>
      s.id === id ? { ...s, status, detail } : s
    );
  }

  async function run() {
    running.value = true;
    verdict.value = null;
    steps.value = steps.value.map((s) => ({
      ...s,
      status: "waiting",
      detail: "",
    }));
    let failed: string | null = null;
    const fail = (id: string, e: unknown) => {
      set(id, "fail", message(e));
      failed ??= steps.value.find((s) => s.id === id)!.title.toLowerCase();
    };
    const keys = props.registryKeys.map((k) => fromHex(k, 32));
    let bytes: Uint8Array | null = null;
    let list: NodeList | null = null;
    try {
      set("download", "running", "");
      bytes = await download(`${props.base}/latest.bin`);
      set("download", "ok", `${formatInt(bytes.length)} bytes`);
    } catch (e) {
      fail("download", e);
    }
    if (bytes) {
      try {
        set("decode", "running", "");
        list = decodeNodeList(bytes, props.networkId);
        set(
          "decode",
          "ok",
          `list ${list.header.epoch}: ${
            formatInt(list.records.length)
          } nodes, ${list.signatures.length} signature(s), network ${props.networkId}`,
        );
      } catch (e) {
        fail("decode", e);
      }
    }
    if (bytes && list) {
      try {
        set("signatures", "running", "");
        const v = verifyNodeList(bytes, keys, {
          threshold: props.threshold,
          expectedNetwork: props.networkId,
        });
        set(
          "signatures",
          "ok",
          `valid signatures from ${v.signers.length} of ${keys.length} stated key(s), ${props.threshold} needed; body hash ${
            toHex(v.bodyHash)
          }; signed by key id(s) ${
            v.signers.map((k) => toHex(keyIdOf(k))).join(", ")
          }`,
        );
      } catch (e) {
        fail("signatures", e);
      }
      try {
        set("cosignatures", "running", "");
        if (list.header.commitments === undefined) {
          set("cosignatures", "skipped", "a format v1 list has none");
        } else {
          const witnessKeys = props.witnessKeys.map((k) => fromHex(k, 32));
          const check = (b: Uint8Array) =>
            verifyCosignatures(b, witnessKeys, {
              threshold: props.witnessThreshold,
              expectedNetwork: props.networkId,
            });
          let c;
          let note = "";
          try {
            c = check(bytes);
          } catch (e) {
            // Witnesses co-sign within about an epoch: the list before, if
            // this one extends it, stands in (as clients do).
            if (
              (e as { code?: unknown }).code !== "insufficient_cosignatures"
            ) {
              throw e;
            }
            const epoch = list.header.epoch - 1n;
            const b = await download(`${props.base}/${epoch}.bin`);
            verifyChain(decodeNodeList(b, props.networkId), list);
            c = check(b);
            note =
              ` (on list ${epoch}: list ${list.header.epoch}, which extends it, is not co-signed yet)`;
          }
          const count = list.cosignatures?.length ?? 0;
          set(
            "cosignatures",
            props.witnessKeys.length === 0 ? "skipped" : "ok",
            props.witnessKeys.length === 0
              ? `${count} co-signature(s); no witness keys stated`
              : `valid co-signatures from ${c.signers.length} of ${witnessKeys.length} stated witness(es), ${props.witnessThreshold} needed${note}: each re-executed the epoch's published inputs and got this exact list (checkpoint ${
                toHex(c.checkpointHash).slice(0, 16)
              }…)`,
          );
        }
      } catch (e) {
        fail("cosignatures", e);
      }
      try {
        set("fresh", "running", "");
        const now = Math.floor(Date.now() / 1000);
        const fresh = checkFreshness(list.header, now, 300);
        set(
          "fresh",
          "ok",
          fresh
            ? `valid and fresh (valid until ${
              new Date(Number(list.header.validUntil) * 1000).toISOString()
            })`
            : "valid, but a newer list should exist (past fresh-until)",
        );
      } catch (e) {
        fail("fresh", e);
      }
      let prevBytes: Uint8Array | null = null;
      try {
        set("chain", "running", "");
        let next = list;
        const walked: string[] = [String(list.header.epoch)];
        // Walking back, a list that announced a key rotation is signed by
        // the key before it: trust the one it replaced from there on back.
        let chainKeys = keys;
        for (let i = 1; i <= props.links; i++) {
          const epoch = list.header.epoch - BigInt(i);
          if (epoch < 0n) break;
          let b: Uint8Array;
          try {
            b = await download(`${props.base}/${epoch}.bin`);
          } catch (e) {
            if (e instanceof NotFound) break;
            throw e;
          }
          const rotation = keyRotationOf(
            decodeNodeList(b, props.networkId).header,
          );
          if (rotation) {
            chainKeys = chainKeys.map((k) =>
              bytesEqual(k, rotation.newKey) ? rotation.oldKey : k
            );
          }
          const prev = verifyNodeList(b, chainKeys, {
            threshold: props.threshold,
            expectedNetwork: props.networkId,
          }).list;
          verifyChain(prev, next);
          if (i === 1) prevBytes = b;
          walked.unshift(String(prev.header.epoch));
          next = prev;
        }
        if (walked.length === 1) {
          set("chain", "skipped", "no earlier list is kept");
        } else {
          set(
            "chain",
            "ok",
            `lists ${
              walked.join(" → ")
            }: each is signed and names the one before by its hash`,
          );
        }
      } catch (e) {
        fail("chain", e);
      }
      if (prevBytes) {
        try {
          set("diff", "running", "");
          const epoch = list.header.epoch;
          const diff = await download(
            `${props.base}/${epoch}/diff.bin?from=${epoch - 1n}`,
          );
          const rebuilt = applyNodeListDiff(prevBytes, diff, props.networkId);
          // Co-signatures may have arrived between the two downloads: the
          // list, all but its co-signatures, must be the same.
          const plain = (b: Uint8Array) =>
            list!.header.commitments === undefined
              ? b
              : withoutCosignatures(b, props.networkId);
          if (!bytesEqual(plain(rebuilt), plain(bytes))) {
            throw new Error(
              "the list rebuilt from the diff differs from the downloaded list",
            );
          }
          set(
            "diff",
            "ok",
            `a ${formatInt(diff.length)}-byte diff (${
              (100 * diff.length / bytes.length).toFixed(1)
            }% of the list) rebuilds it byte for byte`,
          );
        } catch (e) {
          fail("diff", e);
        }
      } else if (!failed) {
        set("diff", "skipped", "no previous list to start from");
      }
    }
    steps.value = steps.value.map((s) =>
      s.status === "waiting" ? { ...s, status: "skipped" } : s
    );
    verdict.value = failed
      ? {
        ok: false,
        text:
          `NOT verified: the ${failed} step failed. Do not trust this list.`,
      }
      : {
        ok: true,
        text:
          `Verified: list ${list?.header.epoch} is signed by ${props.threshold} or more of the stated registry keys${
            props.witnessThreshold > 0
              ? `, co-signed by ${props.witnessThreshold} or more of the stated witnesses`
              : ""
          } and chains to the lists before it.`,
      };
    running.value = false;
  }

  return (
    <div class="verify">
      <button
        type="button"
        onClick={run}
        disabled={!ready.value || running.value}
      >
        {running.value ? "Verifying…" : "Verify in your browser"}
      </button>
      {!ready.value && (
        <p class="muted">
          This check runs in your browser and needs JavaScript. Without it, use
          the operator CLI: <code>snode list verify</code>.
        </p>
      )}
      <ol class="steps" aria-label="Verification steps">
        {steps.value.map((s) => (
          <li class={`step step-${s.status}`} data-step={s.id}>
            <span class="step-status">{s.status}</span>{" "}
            <span class="step-title">{s.title}</span>
            {s.detail && <div class="step-detail">{s.detail}</div>}
          </li>
        ))}
      </ol>
      <p
        class={`verdict ${
          verdict.value
            ? (verdict.value.ok ? "verdict-ok" : "verdict-fail")
            : ""
        }`}
        role="status"
        aria-live="polite"
      >
        {verdict.value?.text ?? ""}
      </p>
    </div>
  );
}
