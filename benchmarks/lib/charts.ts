/**
 * Hand-written SVG charts of a benchmark report (no chart library): each row's ratio peer ÷
 * lading on a log scale with its min–max, and fleet rebase scaling (images against seconds).
 */
import type { Report } from './report.js'

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/`/g, '')
const svg = (w: number, h: number, body: string[]): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="12">\n` +
  `<rect width="${w}" height="${h}" fill="white"/>\n${body.join('\n')}\n</svg>\n`

/** Ratio chart: one line per row, dot at the median, whisker over min–max, 1× marked. */
export function ratioChart(report: Report): string {
  const rows = report.results.flatMap((r) => r.rows).filter((r) => Number.isFinite(r.ratio.median))
  const left = 190
  const width = 460
  const top = 34
  const step = 24
  const h = top + rows.length * step + 40
  const lo = -4 // 2^-4 = 1/16
  const hi = 4
  const x = (v: number): number => left + ((Math.min(hi, Math.max(lo, Math.log2(Math.max(v, 1e-6)))) - lo) / (hi - lo)) * width
  const body: string[] = [`<text x="10" y="18" font-weight="bold">peer time ÷ lading time (log scale; right of 1×: lading is faster)</text>`]
  for (let e = lo; e <= hi; e++) {
    const v = 2 ** e
    body.push(`<line x1="${x(v)}" y1="${top - 6}" x2="${x(v)}" y2="${h - 30}" stroke="${e === 0 ? '#333' : '#ddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`)
    body.push(`<text x="${x(v)}" y="${h - 14}" text-anchor="middle" fill="#555">${v >= 1 ? `${v}×` : `1/${1 / v}`}</text>`)
  }
  rows.forEach((r, i) => {
    const y = top + i * step + 8
    const color = r.ratio.median >= 1 ? '#2a7d2a' : '#c0561b'
    body.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(r.id)}</text>`)
    body.push(`<line x1="${x(r.ratio.min)}" y1="${y}" x2="${x(r.ratio.max)}" y2="${y}" stroke="${color}" stroke-width="2"/>`)
    for (const v of [r.ratio.min, r.ratio.max]) body.push(`<line x1="${x(v)}" y1="${y - 5}" x2="${x(v)}" y2="${y + 5}" stroke="${color}" stroke-width="2"/>`)
    body.push(`<circle cx="${x(r.ratio.median)}" cy="${y}" r="5" fill="${color}"/>`)
    body.push(`<text x="${left + width + 10}" y="${y + 4}">${r.ratio.median} (${r.ratio.min}–${r.ratio.max})</text>`)
  })
  return svg(left + width + 120, h, body)
}

/** Fleet scaling: images on x, seconds on y, median with min–max, the 5 s target dashed. */
export function fleetChart(report: Report): string {
  const pts = report.results.flatMap((r) => r.scaling ?? []).sort((a, b) => a.images - b.images)
  const W = 560
  const H = 320
  const l = 60
  const b = H - 45
  const t = 35
  const r = W - 30
  const maxX = Math.max(1000, ...pts.map((p) => p.images))
  const maxY = Math.max(6, ...pts.map((p) => p.wallMs.max / 1000)) * 1.1
  const x = (v: number): number => l + (v / maxX) * (r - l)
  const y = (s: number): number => b - (s / maxY) * (b - t)
  const body: string[] = [`<text x="10" y="18" font-weight="bold">lading rebase --from FILE: images against seconds (median, min–max)</text>`]
  body.push(`<line x1="${l}" y1="${b}" x2="${r}" y2="${b}" stroke="#333"/><line x1="${l}" y1="${b}" x2="${l}" y2="${t}" stroke="#333"/>`)
  for (let v = 0; v <= maxX; v += maxX / 4) body.push(`<text x="${x(v)}" y="${b + 16}" text-anchor="middle" fill="#555">${v}</text>`)
  const yStep = maxY > 20 ? 5 : maxY > 8 ? 2 : 1
  for (let s = 0; s <= maxY; s += yStep) {
    body.push(`<line x1="${l}" y1="${y(s)}" x2="${r}" y2="${y(s)}" stroke="#eee"/><text x="${l - 6}" y="${y(s) + 4}" text-anchor="end" fill="#555">${s} s</text>`)
  }
  body.push(`<text x="${(l + r) / 2}" y="${H - 8}" text-anchor="middle">images</text>`)
  body.push(`<line x1="${l}" y1="${y(5)}" x2="${r}" y2="${y(5)}" stroke="#c0561b" stroke-dasharray="6 4"/><text x="${r}" y="${y(5) - 5}" text-anchor="end" fill="#c0561b">target: 1,000 images in 5 s</text>`)
  // One line per registry storage (disk: the temp dir, as the tests run; tmpfs: no fsync cost).
  const colors: Record<string, string> = { disk: '#2a5db0', tmpfs: '#6a9f3a' }
  const series = [...new Set(pts.map((p) => p.registryStorage ?? 'disk'))]
  series.forEach((storage, i) => {
    const line = pts.filter((p) => (p.registryStorage ?? 'disk') === storage)
    const c = colors[storage] ?? '#555'
    body.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${line.map((p) => `${x(p.images)},${y(p.wallMs.median / 1000)}`).join(' ')}"/>`)
    for (const p of line) {
      body.push(`<line x1="${x(p.images)}" y1="${y(p.wallMs.min / 1000)}" x2="${x(p.images)}" y2="${y(p.wallMs.max / 1000)}" stroke="${c}" stroke-width="2"/>`)
      body.push(`<circle cx="${x(p.images)}" cy="${y(p.wallMs.median / 1000)}" r="4" fill="${c}"/>`)
      body.push(`<text x="${x(p.images) - 8}" y="${y(p.wallMs.median / 1000) - 8}" text-anchor="end" fill="${c}">${(p.wallMs.median / 1000).toFixed(2)} s</text>`)
    }
    if (series.length > 1) body.push(`<text x="${l + 10}" y="${t + 14 + i * 16}" fill="${c}">registry storage on ${storage}</text>`)
  })
  if (!pts.length) body.push(`<text x="${(l + r) / 2}" y="${(t + b) / 2}" text-anchor="middle" fill="#999">no fleet results yet</text>`)
  return svg(W, H, body)
}
