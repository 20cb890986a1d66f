import { Router, type Request, type Response } from "express";
import { renderAnnotatedPng, renderLabelPng } from "../domain/png.js";
import { annotatedBoxesOf, imageLinesOf, type Job } from "../domain/jobs.js";
import type { Store } from "../store/types.js";
import { ApiError } from "../domain/errors.js";
import { CUT_FAULTS, FAULT_HEADER } from "../domain/faults.js";
import type { FaultEngine } from "../faults/engine.js";
import type { Exchange } from "./exchange.js";
import { writeFaulted } from "./fault-writer.js";
import { JSON_TYPE } from "./send.js";

const RESULT_HEADERS = { "Content-Type": "image/png", "Cache-Control": "private, max-age=86400" };
const notFound = () => new ApiError("NOT_FOUND", "Result not found or expired.");

/** The result a download names, or null: image jobs have 0.png; only detection jobs have an annotated image. */
function resultOf(job: Job | undefined, file: string): Job | null {
  if (!job) return null;
  const isDetection = job.model.kind === "vision" && job.model.family === "detection";
  return (file === "0.png" && job.kind !== "vision") || (file === "annotated.png" && isDetection) ? job : null;
}

/**
 * Result images, rendered on request from the job (deterministic per job), so
 * nothing is stored and an expired job's URLs are simply 404. Downloads are
 * the `result` phase of faults and chaos.
 */
export function cdnRouter(store: Store, faults: FaultEngine, record: (ex: Exchange) => void): Router {
  const router = Router();
  router.get("/results/:job_id/:file", async (req: Request, res: Response) => {
    const ex = res.locals.exchange as Exchange | undefined;
    if (ex) {
      ex.operation = "cdn";
      ex.jobId = req.params.job_id as string;
    }
    const job = resultOf(await store.jobForAsset(req.params.job_id as string), req.params.file as string);
    if (job && ex) ex.key = job.key;
    const header = req.headers[FAULT_HEADER] as string | undefined;
    const inj = faults.active || header !== undefined ? await faults.decide(job?.key ?? null, "result", header, null) : null;
    if (inj === null) {
      if (!job) throw notFound();
      res.set(RESULT_HEADERS).send(render(job, req.params.file as string));
      return;
    }
    if (ex) {
      ex.plan = inj;
      ex.fault = inj.name;
    }
    faults.count(inj, job?.key ?? null);
    let status = 200;
    let headers: Record<string, string> = RESULT_HEADERS;
    let body: Buffer = Buffer.alloc(0);
    if (!job) {
      const e = notFound();
      if (ex) ex.errorCode = e.code;
      [status, headers, body] = [e.status, { "Content-Type": JSON_TYPE }, Buffer.from(JSON.stringify(e.toBody()))];
    } else if (!CUT_FAULTS.has(inj.name)) body = render(job, req.params.file as string);
    writeFaulted({
      res, inj, status, headers, body,
      record: (how) => {
        if (!ex || ex.recorded) return;
        ex.responseLost = how === "lost";
        ex.noResponse = how === "none";
        record(ex);
      },
    });
  });
  router.use(() => {
    throw notFound();
  });
  return router;
}

function render(job: Job, file: string): Buffer {
  return file === "0.png" ? renderLabelPng({ lines: imageLinesOf(job), seed: job.seed }) : renderAnnotatedPng({ boxes: annotatedBoxesOf(job), seed: job.seed });
}

