/** Placeholder until the contract suite lands: says so rather than passing silently. */
export async function runContractCli(_argv: string[], _env: NodeJS.ProcessEnv, out: { err: (s: string) => void }): Promise<number> {
  out.err("artemotion-mock contract: the contract suite is not built yet.");
  return 2;
}
