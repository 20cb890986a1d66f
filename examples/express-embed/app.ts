/**
 * A user's own Express service. Outside production it mounts the ArtEmotion
 * mock under /mock, so a preview environment or a local run needs no second
 * process: point the ArtEmotion client at `${origin}/mock/api/v1`.
 */
import express, { type Express } from "express";
import { createApp, type MockApp } from "artemotion-mock";

export function buildApp({ withMock }: { withMock: boolean }): { app: Express; mock: MockApp | null } {
  const app = express();
  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  let mock: MockApp | null = null;
  if (withMock) {
    mock = createApp({ timing: "instant", logLevel: "warn" });
    app.use("/mock", mock.app);
  }
  return { app, mock };
}
