import { useRef, useState } from "preact/hooks";
import { HttpError } from "./api.js";
import { Panel, StatusLine, VirtualTable, type Column } from "./components.js";
import { maskKey } from "./format.js";
import { useAction, useEnv, useResource } from "./hooks.js";
import type { Account, RateBucket } from "./types.js";

const KINDS = ["account", "request"] as const;
const BUCKETS: RateBucket[] = ["tryon", "vision", "generate", "poll"];

/** How to name an account in a URL: its key_ref, or the full key the user typed (older mocks). */
type Row = Account & { ref: string };

/** Balances, set credits, delete a key, and each key's rate-limit usage per bucket. */
export function AccountsPanel() {
  const { api, caps, config } = useEnv();
  // An older mock cannot list accounts: the keys set here are looked up one by one.
  const known = useRef(new Set<string>());
  const res = useResource(
    async (signal): Promise<Row[]> => {
      if (caps.v2) {
        const r = await api.get<{ accounts: Account[] }>("/accounts", {}, signal);
        return r.accounts.map((a) => ({ ...a, ref: a.key_ref ?? a.key }));
      }
      const rows: Row[] = [];
      for (const k of known.current) {
        try {
          rows.push({ ...(await api.get<Account>(`/accounts/${encodeURIComponent(k)}`, {}, signal)), ref: k });
        } catch (e) {
          if (e instanceof HttpError && e.status === 404) known.current.delete(k);
          else throw e;
        }
      }
      return rows;
    },
    KINDS,
    [],
  );
  const rows = res.data ?? [];
  const [key, setKey] = useState("");
  const [credits, setCredits] = useState("");
  const action = useAction();

  const setAccount = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const k = key.trim();
      const a = await api.put<Account>(`/accounts/${encodeURIComponent(k)}`, { credits: Number(credits) });
      known.current.add(k);
      res.reload();
      return `${maskKey(a.key)} now has ${a.credits} credits.`;
    });
  };
  const remove = (r: Row) =>
    action.run(async () => {
      await api.del(`/accounts/${encodeURIComponent(r.ref)}`);
      known.current.delete(r.ref);
      res.reload();
      return `Deleted ${maskKey(r.key)}: it now gets 401 until its credits are set again.`;
    });

  const usage = (a: Account) =>
    BUCKETS.map((b) => {
      const used = a.usage?.[b];
      return (
        <span class={`usage ${used !== undefined && used >= config.rateLimits[b] ? "is-full" : ""}`} title={`${b}: ${used ?? "?"} of ${config.rateLimits[b]} a minute`}>
          {b} {used ?? "–"}/{config.rateLimits[b]}
        </span>
      );
    });
  const columns: Column<Row>[] = [
    {
      label: "Key",
      width: "minmax(9.8rem, 1fr)",
      cell: (r) => (
        <button type="button" class="link mono" title="Use this key in the form" onClick={() => setKey(r.ref)}>
          {maskKey(r.key)}
        </button>
      ),
    },
    { label: "Credits", width: "4.6rem", cell: (r) => <span class="num">{r.credits}</span> },
    { label: "Jobs", width: "3.4rem", cell: (r) => <span class="num">{r.jobs}</span> },
    { label: "Rate limits used (per key, last minute)", width: "minmax(22rem, 2fr)", cell: (r) => <span class="usages">{usage(r)}</span> },
    {
      label: "Actions",
      width: "7.2rem",
      cell: (r) => (
        <button type="button" class="danger" title={`Delete ${maskKey(r.key)}`} onClick={() => void remove(r)}>
          Delete key
        </button>
      ),
    },
  ];

  return (
    <Panel id="accounts" title="Accounts" actions={<span class="muted">{rows.length} keys</span>}>
      <form class="row-form" onSubmit={setAccount}>
        <label>
          Key
          <input value={key} onInput={(e) => setKey(e.currentTarget.value)} placeholder="ae_test_… or key_ref" required spellcheck={false} autocomplete="off" size={20} />
        </label>
        <label>
          Credits
          <input type="number" min={0} value={credits} onInput={(e) => setCredits(e.currentTarget.value)} required class="narrow" />
        </label>
        <button type="submit" class="primary">
          Set credits
        </button>
      </form>
      <StatusLine message={action.message} />
      {res.error ? <p class="error-text">{res.error}</p> : null}
      <VirtualTable
        label="Accounts"
        count={rows.length}
        row={(i) => rows[i]}
        rowKey={(r) => r.ref}
        columns={columns}
        empty={caps.v2 ? "No keys yet: a key is created on its first request." : "This mock cannot list keys; keys you set here appear."}
      />
    </Panel>
  );
}
