/**
 * What the runner (src/cli/contract.ts) hands the suite, through the
 * environment: the target, the key, the budget and where to write the ledger.
 */
export interface ContractConfig {
  baseUrl: string;
  apiKey: string;
  /** Credits the suite may spend on a target that is not a mock. */
  budget: number;
  runDir: string;
  /** True when the target answers /__mock/health (probed by the runner). */
  isMock: boolean;
  /** Poll deadline per job, in ms of real time. */
  pollDeadlineMs: number;
}

export function contractConfig(env: NodeJS.ProcessEnv = process.env): ContractConfig {
  const baseUrl = env.AE_BASE_URL;
  const runDir = env.AE_CONTRACT_RUN_DIR;
  if (!baseUrl || !runDir) throw new Error("The contract suite runs through `artemotion-mock contract` (or `npm run contract`), which sets AE_BASE_URL and AE_CONTRACT_RUN_DIR.");
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    apiKey: env.AE_API_KEY ?? "ae_test_contract_default",
    budget: Number(env.AE_CONTRACT_BUDGET ?? "0"),
    runDir,
    isMock: env.AE_CONTRACT_IS_MOCK === "1",
    pollDeadlineMs: Number(env.AE_CONTRACT_POLL_DEADLINE_MS ?? "60000"),
  };
}

/** The origin of the target (for /__mock), from its /api/v1 base URL. */
export function originOf(baseUrl: string): string {
  return baseUrl.replace(/\/api\/v1$/, "");
}
