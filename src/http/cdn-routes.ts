import { Router, type Response } from "express";
import { renderAnnotatedPng, renderLabelPng } from "../domain/png.js";
import { annotatedBoxesOf, imageLinesOf } from "../domain/jobs.js";
import type { Store } from "../store/types.js";
import { ApiError } from "../domain/errors.js";
import type { Exchange } from "./exchange.js";

/**
 * Result images, rendered on request from the job (deterministic per job), so
 * nothing is stored and an expired job's URLs are simply 404.
 */
export function cdnRouter(store: Store): Router {
  const router = Router();
  router.get("/results/:job_id/:file", async (req, res: Response) => {
    const ex = res.locals.exchange as Exchange | undefined;
    if (ex) {
      ex.operation = "cdn";
      ex.jobId = req.params.job_id as string;
    }
    const job = await store.jobForAsset(req.params.job_id as string);
    const file = req.params.file;
    // Image jobs have 0.png; only detection jobs have an annotated image (the others' annotated_image is null).
    const isDetection = job?.model.kind === "vision" && job.model.family === "detection";
    if (!job || !((file === "0.png" && job.kind !== "vision") || (file === "annotated.png" && isDetection))) {
      throw new ApiError("NOT_FOUND", "Result not found or expired.");
    }
    if (ex) ex.key = job.key;
    const png = file === "0.png" ? renderLabelPng({ lines: imageLinesOf(job), seed: job.seed }) : renderAnnotatedPng({ boxes: annotatedBoxesOf(job), seed: job.seed });
    res.set({ "Content-Type": "image/png", "Cache-Control": "private, max-age=86400" }).send(png);
  });
  router.use(() => {
    throw new ApiError("NOT_FOUND", "Result not found or expired.");
  });
  return router;
}
