/** `report.toml` (cnb-spec.md §9.4): what the exporter (or rebaser) wrote. `manifest-size` is an
 * integer, as the reference lifecycle writes it (the spec example shows a string) [impl].
 */
import { PlatformFileError } from '../errors.js'
import { type Table, at, compact, optInt, optString, optStringArray, optTable, parseTomlText, stringifyToml } from '../../toml/index.js'

/** The `[image]` table: tags actually written, and the manifest digest and size (registry mode). */
export interface ReportImage {
  tags: string[]
  digest?: string
  imageId?: string
  manifestSize?: number
}

/** A report.toml. */
export interface Report {
  image: ReportImage
}

/** Returns report.toml text: `[image]` tags, digest, image-id (when set), manifest-size (integer, when set). */
export function stringifyReport(report: Report): string {
  const i = report.image
  return stringifyToml({
    image: compact({ tags: [...i.tags], digest: i.digest, 'image-id': i.imageId, 'manifest-size': i.manifestSize }),
  })
}

/**
 * Parses report.toml text. Accepts a string `manifest-size` (older spec examples) when it is
 * all digits; anything else non-integer throws PlatformFileError.
 */
export function parseReport(text: string, file = 'report.toml'): Report {
  const doc: Table = parseTomlText(text, file)
  const ctx = { file, path: '' }
  const img = optTable(doc, 'image', ctx) ?? {}
  const ic = at(ctx, 'image')
  let size: number | undefined
  const raw = img['manifest-size']
  if (typeof raw === 'string') {
    if (!/^\d+$/.test(raw)) throw new PlatformFileError(file, 'image.manifest-size', 'must be an integer')
    size = Number(raw)
  } else {
    size = optInt(img, 'manifest-size', ic)
  }
  return {
    image: compact<ReportImage>({
      tags: optStringArray(img, 'tags', ic) ?? [],
      digest: optString(img, 'digest', ic),
      imageId: optString(img, 'image-id', ic),
      manifestSize: size,
    }),
  }
}
