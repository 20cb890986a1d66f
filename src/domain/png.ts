// Small, deterministic PNGs for the mock result CDN. Images are real (they
// decode in any viewer) and carry readable text, so a person inspecting a
// mock result can tell which job and output it belongs to.
import { createHash } from "node:crypto";
import { PNG } from "pngjs";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphRows } from "./png-font.js";

/** Bounding box with coordinates normalised to 0..1 of the image size. */
export interface Box {
  label: string;
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

type Rgb = readonly [number, number, number];

const DEFAULT_SIZE = 256;
// Sizes may come from request parameters; cap them so a single request
// cannot make the server allocate and compress a huge bitmap.
const MAX_SIZE = 2048;
const MARGIN = 8;
const TEXT_SCALES = [2, 1] as const;
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const BOX_PALETTE: readonly Rgb[] = [
  [255, 64, 64], [64, 220, 64], [64, 160, 255], [255, 200, 0],
  [255, 96, 255], [0, 230, 230], [255, 140, 0], [180, 120, 255],
];

export function renderLabelPng(opts: { lines: string[]; seed: string; width?: number; height?: number }): Buffer {
  const png = createBackground(opts.seed, opts.width, opts.height);
  const maxWidth = png.width - 2 * MARGIN;
  const laidOut = opts.lines.map((line) => fitText(line, maxWidth));

  // Lines that would run off the bottom are dropped rather than clipped
  // mid-glyph, which would leave unreadable fragments.
  const visible: typeof laidOut = [];
  let blockHeight = 0;
  for (const line of laidOut) {
    const gap = visible.length > 0 ? lineGap(line.scale) : 0;
    const next = blockHeight + gap + GLYPH_HEIGHT * line.scale;
    if (next > png.height - 2 * MARGIN) break;
    visible.push(line);
    blockHeight = next;
  }

  let y = Math.max(MARGIN, Math.floor((png.height - blockHeight) / 2));
  for (const [i, line] of visible.entries()) {
    if (i > 0) y += lineGap(line.scale);
    const x = Math.floor((png.width - textWidth(line.chars.length, line.scale)) / 2);
    drawShadowedText(png, line.chars, x, y, line.scale, WHITE);
    y += GLYPH_HEIGHT * line.scale;
  }
  return encode(png);
}

export function renderAnnotatedPng(opts: { boxes: Box[]; seed: string; width?: number; height?: number }): Buffer {
  const png = createBackground(opts.seed, opts.width, opts.height);
  for (const box of opts.boxes) {
    const xa = clamp01(box.x_min) * (png.width - 1);
    const xb = clamp01(box.x_max) * (png.width - 1);
    const ya = clamp01(box.y_min) * (png.height - 1);
    const yb = clamp01(box.y_max) * (png.height - 1);
    // Tolerate swapped min/max so sloppy fixtures still draw something.
    const x0 = Math.round(Math.min(xa, xb));
    const x1 = Math.round(Math.max(xa, xb));
    const y0 = Math.round(Math.min(ya, yb));
    const y1 = Math.round(Math.max(ya, yb));
    const colour = pick(BOX_PALETTE, digest(box.label)[0] ?? 0);

    const t = png.width >= 128 && png.height >= 128 ? 2 : 1;
    fillRect(png, x0, y0, x1 - x0 + 1, t, colour);
    fillRect(png, x0, y1 - t + 1, x1 - x0 + 1, t, colour);
    fillRect(png, x0, y0, t, y1 - y0 + 1, colour);
    fillRect(png, x1 - t + 1, y0, t, y1 - y0 + 1, colour);

    // Label sits on a tab in the box colour: above the box when there is
    // room (keeps the boxed content visible), otherwise just inside it.
    const label = fitText(box.label, Math.max(0, png.width - x0 - 2));
    if (label.chars.length === 0) continue;
    const tabW = textWidth(label.chars.length, label.scale) + 2;
    const tabH = GLYPH_HEIGHT * label.scale + 2;
    const tabY = y0 - tabH >= 0 ? y0 - tabH : y0 + t;
    fillRect(png, x0, tabY, tabW, tabH, colour);
    drawText(png, label.chars, x0 + 1, tabY + 1, label.scale, BLACK);
  }
  return encode(png);
}

function createBackground(seed: string, width = DEFAULT_SIZE, height = DEFAULT_SIZE): PNG {
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIZE) {
      throw new RangeError(`${name} must be an integer in 1..${MAX_SIZE}, got ${v}`);
    }
  }
  const png = new PNG({ width, height });
  const h = digest(seed);
  // Channels are kept in a mid range so white text with a dark shadow
  // stays readable whatever the seed.
  const from = [0, 1, 2].map((i) => 40 + Math.floor((h[i] ?? 0) * 0.6));
  const to = [3, 4, 5].map((i) => 40 + Math.floor((h[i] ?? 0) * 0.6));
  // Vertical only: each row is one colour, so the PNG "sub" filter turns it
  // into zeros and files come out ~4x smaller than with a diagonal gradient.
  const pixel = Buffer.alloc(4, 255);
  for (let y = 0; y < height; y++) {
    const t = height > 1 ? y / (height - 1) : 0;
    for (let c = 0; c < 3; c++) {
      const a = from[c] ?? 0;
      pixel[c] = Math.round(a + ((to[c] ?? 0) - a) * t);
    }
    png.data.fill(pixel, y * width * 4, (y + 1) * width * 4);
  }
  return png;
}

/** Largest text scale at which `text` fits in `maxWidth`, truncating at the smallest scale. */
function fitText(text: string, maxWidth: number): { chars: string[]; scale: number } {
  const chars = Array.from(text); // code points, so an emoji counts as one glyph
  for (const scale of TEXT_SCALES) {
    if (textWidth(chars.length, scale) <= maxWidth) return { chars, scale };
  }
  const scale = TEXT_SCALES[TEXT_SCALES.length - 1] ?? 1;
  const advance = (GLYPH_WIDTH + 1) * scale;
  return { chars: chars.slice(0, Math.max(0, Math.floor((maxWidth + scale) / advance))), scale };
}

function textWidth(count: number, scale: number): number {
  return count === 0 ? 0 : count * (GLYPH_WIDTH + 1) * scale - scale;
}

function lineGap(scale: number): number {
  return 4 * scale;
}

function drawShadowedText(png: PNG, chars: string[], x: number, y: number, scale: number, colour: Rgb): void {
  drawText(png, chars, x + 1, y + 1, scale, BLACK);
  drawText(png, chars, x, y, scale, colour);
}

function drawText(png: PNG, chars: string[], x: number, y: number, scale: number, colour: Rgb): void {
  for (const [i, ch] of chars.entries()) {
    const gx = x + i * (GLYPH_WIDTH + 1) * scale;
    for (const [row, bits] of glyphRows(ch).entries()) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (bits & (0x10 >> col)) fillRect(png, gx + col * scale, y + row * scale, scale, scale, colour);
      }
    }
  }
}

function fillRect(png: PNG, x: number, y: number, w: number, h: number, [r, g, b]: Rgb): void {
  const xs = Math.max(0, x);
  const xe = Math.min(png.width, x + w);
  const ys = Math.max(0, y);
  const ye = Math.min(png.height, y + h);
  for (let py = ys; py < ye; py++) {
    for (let px = xs; px < xe; px++) {
      const o = (py * png.width + px) * 4;
      png.data[o] = r;
      png.data[o + 1] = g;
      png.data[o + 2] = b;
      png.data[o + 3] = 255;
    }
  }
}

function encode(png: PNG): Buffer {
  // RGB output (no alpha) and the fixed "sub" filter suit the row-uniform
  // background; pngjs's adaptive filter search roughly doubles encode time.
  return PNG.sync.write(png, { colorType: 2, inputHasAlpha: true, filterType: 1 });
}

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

function pick<T>(items: readonly T[], n: number): T {
  const item = items[n % items.length];
  if (item === undefined) throw new Error("empty palette");
  return item;
}
