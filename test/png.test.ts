import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { renderAnnotatedPng, renderLabelPng, type Box } from "../src/domain/png.js";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CAT: Box = { label: "cat", x_min: 0.1, y_min: 0.2, x_max: 0.6, y_max: 0.9 };

/** Count pixels whose RGBA differs, so tests assert on what a viewer sees, not just bytes. */
function differingPixels(a: Buffer, b: Buffer): number {
  const pa = PNG.sync.read(a);
  const pb = PNG.sync.read(b);
  expect([pa.width, pa.height]).toEqual([pb.width, pb.height]);
  let n = 0;
  for (let i = 0; i < pa.data.length; i += 4) {
    if (pa.data.readUInt32BE(i) !== pb.data.readUInt32BE(i)) n++;
  }
  return n;
}

describe("renderLabelPng", () => {
  it("produces a valid 256x256 PNG by default", () => {
    const buf = renderLabelPng({ lines: ["TOP", "job-123"], seed: "job-123" });
    expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const png = PNG.sync.read(buf);
    expect(png.width).toBe(256);
    expect(png.height).toBe(256);
  });

  it("honours a custom width and height", () => {
    const png = PNG.sync.read(renderLabelPng({ lines: ["TOP"], seed: "s", width: 320, height: 90 }));
    expect(png.width).toBe(320);
    expect(png.height).toBe(90);
  });

  it("returns byte-identical output for the same inputs", () => {
    const opts = { lines: ["TOP", "3f2a9c1e-7b4d-4e21-9a0f-12ab34cd56ef"], seed: "job-1" };
    expect(renderLabelPng(opts).equals(renderLabelPng({ ...opts, lines: [...opts.lines] }))).toBe(true);
  });

  it("returns different images for different seeds", () => {
    const a = renderLabelPng({ lines: ["TOP"], seed: "job-1" });
    const b = renderLabelPng({ lines: ["TOP"], seed: "job-2" });
    expect(a.equals(b)).toBe(false);
  });

  it("draws text so an image with lines differs visibly from one without", () => {
    const blank = renderLabelPng({ lines: [], seed: "job-1" });
    const text = renderLabelPng({ lines: ["TOP"], seed: "job-1" });
    expect(differingPixels(blank, text)).toBeGreaterThan(50);
  });

  it("renders different text differently on the same background", () => {
    const top = renderLabelPng({ lines: ["TOP"], seed: "job-1" });
    const side = renderLabelPng({ lines: ["SIDE"], seed: "job-1" });
    expect(differingPixels(top, side)).toBeGreaterThan(0);
  });

  it("still renders when lines are too long or too many to fit", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i} ${"x".repeat(200)} ~?`);
    const png = PNG.sync.read(renderLabelPng({ lines, seed: "s", width: 64, height: 48 }));
    expect([png.width, png.height]).toEqual([64, 48]);
  });

  it("rejects sizes that are not positive integers within the cap", () => {
    expect(() => renderLabelPng({ lines: [], seed: "s", width: 0 })).toThrow(RangeError);
    expect(() => renderLabelPng({ lines: [], seed: "s", height: 10.5 })).toThrow(RangeError);
    expect(() => renderLabelPng({ lines: [], seed: "s", width: 100_000 })).toThrow(RangeError);
  });
});

describe("renderAnnotatedPng", () => {
  it("produces a valid PNG of the requested size", () => {
    const buf = renderAnnotatedPng({ boxes: [CAT], seed: "job-1", width: 200, height: 150 });
    expect(buf.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const png = PNG.sync.read(buf);
    expect([png.width, png.height]).toEqual([200, 150]);
  });

  it("returns byte-identical output for the same inputs", () => {
    const a = renderAnnotatedPng({ boxes: [CAT], seed: "job-1" });
    const b = renderAnnotatedPng({ boxes: [{ ...CAT }], seed: "job-1" });
    expect(a.equals(b)).toBe(true);
  });

  it("draws a visible outline and label for each box", () => {
    const without = renderAnnotatedPng({ boxes: [], seed: "job-1" });
    const withBox = renderAnnotatedPng({ boxes: [CAT], seed: "job-1" });
    expect(differingPixels(without, withBox)).toBeGreaterThan(100);
  });

  it("places the box outline at the scaled coordinates", () => {
    const without = PNG.sync.read(renderAnnotatedPng({ boxes: [], seed: "job-1" }));
    const withBox = PNG.sync.read(renderAnnotatedPng({ boxes: [CAT], seed: "job-1" }));
    const changed = (x: number, y: number): boolean => {
      const o = (y * 256 + x) * 4;
      return without.data.readUInt32BE(o) !== withBox.data.readUInt32BE(o);
    };
    // Left edge of the box at x = 0.1 * 255, halfway down; centre stays untouched.
    expect(changed(Math.round(0.1 * 255), Math.round(0.55 * 255))).toBe(true);
    expect(changed(Math.round(0.35 * 255), Math.round(0.55 * 255))).toBe(false);
  });

  it("tolerates out-of-range and swapped coordinates", () => {
    const boxes: Box[] = [
      { label: "edge", x_min: -0.5, y_min: 1.5, x_max: 2, y_max: -1 },
      { label: "nan", x_min: Number.NaN, y_min: 0, x_max: 0.5, y_max: 0.5 },
    ];
    const png = PNG.sync.read(renderAnnotatedPng({ boxes, seed: "s" }));
    expect([png.width, png.height]).toEqual([256, 256]);
  });
});
