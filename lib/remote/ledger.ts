// Totals of what a transfer moved (uploaded, mounted, skipped), from its progress events.
import type { TransferEvent } from '../oci/index.js'

/** Totals of one transfer, for `--json` output and benchmarks. */
export interface LedgerTotals {
  blobsUploaded: number
  bytesUploaded: number
  blobsMounted: number
  bytesMounted: number
  blobsExisting: number
  bytesExisting: number
}

/**
 * Adds up finished transfer events: what was uploaded, mounted or found already present.
 * Feed it every event; only final ones (done, exists, mount) count, once per digest and kind.
 */
export class TransferLedger {
  readonly totals: LedgerTotals = {
    blobsUploaded: 0, bytesUploaded: 0, blobsMounted: 0, bytesMounted: 0, blobsExisting: 0, bytesExisting: 0,
  }
  readonly #seen = new Set<string>()

  /** Records an event; safe to pass as an onProgress callback. */
  readonly record = (ev: TransferEvent): void => {
    const final = ev.kind === 'exists' || ev.kind === 'mount' || (ev.kind === 'upload' && ev.done)
    if (!final) return
    const key = `${ev.kind}:${ev.digest}`
    if (this.#seen.has(key)) return
    this.#seen.add(key)
    const t = this.totals
    if (ev.kind === 'upload') {
      t.blobsUploaded++
      t.bytesUploaded += ev.bytes
    } else if (ev.kind === 'mount') {
      t.blobsMounted++
      t.bytesMounted += ev.total ?? ev.bytes
    } else {
      t.blobsExisting++
      t.bytesExisting += ev.total ?? ev.bytes
    }
  }
}
