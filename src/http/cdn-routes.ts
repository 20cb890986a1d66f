import { Router } from "express";
import { renderAnnotatedPng, renderLabelPng } from "../domain/png.js";
import { annotatedBoxesOf, imageLinesOf } from "../domain/jobs.js";
import type { MockService } from "../domain/service.js";
import { ApiError } from "../domain/errors.js";

/**
 * Result images, rendered on request from the job (deterministic per job), so
 * nothing is stored and an expired job's URLs are simply 404.
 */
export function cdnRouter(service: MockService): Router {
  const router = Router();
  router.get("/results/:job_id/:file", (req, res) => {
    service.runDue();
    const job = service.jobForAsset(req.params.job_id);
    const file = req.params.file;
    // Image jobs have 0.png; only detection jobs have an annotated image (the others' annotated_image is null).
    const isDetection = job?.model.kind === "vision" && job.model.family === "detection";
    if (!job || !((file === "0.png" && job.kind !== "vision") || (file === "annotated.png" && isDetection))) {
      throw new ApiError("NOT_FOUND", "Result not found or expired.");
    }
    const png = file === "0.png" ? renderLabelPng({ lines: imageLinesOf(job), seed: job.seed }) : renderAnnotatedPng({ boxes: annotatedBoxesOf(job), seed: job.seed });
    res.set({ "Content-Type": "image/png", "Cache-Control": "private, max-age=86400" }).send(png);
  });
  router.use(() => {
    throw new ApiError("NOT_FOUND", "Result not found or expired.");
  });
  return router;
}
