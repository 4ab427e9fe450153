// Writes media/icon.png, Bora's 128×128 marketplace icon (a wind gust over a mountain ridge on
// deep blue), drawn here so the repository needs no image tools. Run once; the PNG is committed.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const SIZE = 128;
const SAMPLES = 4; // per axis, for smooth edges

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Distance from p to the segment a–b. */
function segment(px, py, ax, ay, bx, by) {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}
/** Points along a quadratic curve, as segments for `segment`. */
function curve(ax, ay, cx, cy, bx, by, n = 24) {
  const pts = [];
  for (let i = 0; i <= n; i++) {
    const t = i / n;
    pts.push([
      (1 - t) ** 2 * ax + 2 * (1 - t) * t * cx + t * t * bx,
      (1 - t) ** 2 * ay + 2 * (1 - t) * t * cy + t * t * by,
    ]);
  }
  return pts;
}
const strokes = [
  { pts: curve(18, 92, 44, 84, 52, 44).concat(curve(52, 44, 62, 84, 92, 92).slice(1)), width: 7 },
  { pts: curve(64, 38, 84, 34, 92, 52).concat(curve(92, 52, 100, 36, 112, 36).slice(1)), width: 6 },
  {
    pts: [
      [20, 108],
      [108, 108],
    ],
    width: 6,
  },
];
function ink(x, y) {
  for (const { pts, width } of strokes)
    for (let i = 1; i < pts.length; i++) if (segment(x, y, ...pts[i - 1], ...pts[i]) <= width / 2) return true;
  return false;
}
function background(x, y) {
  // Rounded square, deep blue to teal from top to bottom.
  const r = 24,
    m = 4;
  const cx = Math.min(Math.max(x, m + r), SIZE - m - r),
    cy = Math.min(Math.max(y, m + r), SIZE - m - r);
  if (Math.hypot(x - cx, y - cy) > r) return null;
  const t = y / SIZE;
  return [Math.round(18 + 10 * t), Math.round(52 + 70 * t), Math.round(120 + 40 * t)];
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  raw[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    let r = 0,
      g = 0,
      b = 0,
      a = 0;
    for (let sy = 0; sy < SAMPLES; sy++)
      for (let sx = 0; sx < SAMPLES; sx++) {
        const px = x + (sx + 0.5) / SAMPLES,
          py = y + (sy + 0.5) / SAMPLES;
        const bg = background(px, py);
        if (bg === null) continue;
        const c = ink(px, py) ? [240, 248, 255] : bg;
        r += c[0];
        g += c[1];
        b += c[2];
        a += 255;
      }
    const n = SAMPLES * SAMPLES,
      o = y * (SIZE * 4 + 1) + 1 + x * 4;
    const cover = a / 255;
    raw[o] = cover ? Math.round(r / cover) : 0;
    raw[o + 1] = cover ? Math.round(g / cover) : 0;
    raw[o + 2] = cover ? Math.round(b / cover) : 0;
    raw[o + 3] = Math.round(a / n);
  }
}
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", header),
  chunk("IDAT", deflateSync(raw, { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
writeFileSync(new URL("../media/icon.png", import.meta.url), png);
console.log(`media/icon.png: ${png.length} bytes`);
