/** Run image selection (cnb-spec.md §9.3 for builds, §6.1 for rebase): among an image and its
 * mirrors, prefer one on the app image's registry that is readable, else the first readable
 * one. Pure apart from the injected readability probe; the reference parser is injected too.
 */
import { RunImageUnavailableError } from './errors.js'
import type { RunFile, RunImageEntry } from './files/index.js'
import type { LayersMetadata } from './labels/index.js'

/** Parses an image name into canonical registry host, repository path and optional tag. */
export type ParseImageName = (s: string) => { registry: string; repository: string; tag?: string }

/** Answers whether an image name can be read with the credentials at hand. */
export type ReadableProbe = (ref: string) => Promise<boolean>

/** The chosen run image and the run.toml entry it belongs to (for the label's image/mirrors). */
export interface RunImageChoice {
  /** The name to pull, exactly as written in run.toml / the label. */
  name: string
  /** `image`/`mirrors` for `runImage` and `stack.runImage` in the lifecycle label. */
  entry: RunImageEntry
}

/**
 * Returns `name` normalised for comparison: any `@sha256:…` dropped, then the canonical
 * `registry/repository:tag` form (`latest` added). Throws whatever `parse` throws.
 */
export function normalizeImageName(name: string, parse: ParseImageName): string {
  const at = name.indexOf('@')
  const ref = parse(at >= 0 ? name.slice(0, at) : name)
  return `${ref.registry}/${ref.repository}:${ref.tag || 'latest'}`
}

/** Returns `[image, ...mirrors]`, skipping empty names and duplicates. */
export function runImageCandidates(entry: RunImageEntry): string[] {
  return [...new Set([entry.image, ...entry.mirrors].filter((s) => s !== ''))]
}

/**
 * Returns the first of `candidates` (in order) on `appRegistry` that `readable` accepts, else
 * the first readable one. Probes run one at a time, in order, and stop at the answer. Throws
 * RunImageUnavailableError when none is readable; probe errors propagate.
 */
export async function pickReadable(
  candidates: readonly string[], appRegistry: string, parse: ParseImageName, readable: ReadableProbe,
): Promise<string> {
  const seen = new Map<string, boolean>()
  const probe = async (c: string): Promise<boolean> => {
    let ok = seen.get(c)
    if (ok === undefined) {
      ok = await readable(c)
      seen.set(c, ok)
    }
    return ok
  }
  for (const c of candidates) {
    if (parse(c).registry === appRegistry && (await probe(c))) return c
  }
  for (const c of candidates) {
    if (await probe(c)) return c
  }
  throw new RunImageUnavailableError(candidates)
}

/**
 * Chooses the run image for a build from run.toml (§9.3): when `runImage` (a `--run-image`
 * value) is given it is used as is; otherwise the first `[[images]]` entry's image and mirrors
 * are probed (same registry as `appImage` first). The returned entry is the first run.toml entry
 * that contains the chosen name (compared normalised), else the first entry, else a synthetic
 * `{image: name, mirrors: []}`. Throws RunImageUnavailableError when nothing is readable or
 * there is nothing to choose from.
 */
export async function selectRunImage(opts: {
  run: RunFile
  appImage: string
  runImage?: string
  parse: ParseImageName
  readable: ReadableProbe
}): Promise<RunImageChoice> {
  const { run, parse } = opts
  let name = opts.runImage
  if (!name) {
    const first = run.images[0]
    if (!first) throw new RunImageUnavailableError([])
    name = await pickReadable(runImageCandidates(first), parse(opts.appImage).registry, parse, opts.readable)
  }
  return { name, entry: runImageEntryFor(run, name, parse) }
}

/** Returns the first run.toml entry containing `name` (normalised), else the first entry, else `{image: name}`. */
export function runImageEntryFor(run: RunFile, name: string, parse: ParseImageName): RunImageEntry {
  const want = normalizeImageName(name, parse)
  const hit = run.images.find((e) => runImageCandidates(e).some((c) => normalizeImageName(c, parse) === want))
  const entry = hit ?? run.images[0] ?? { image: name, mirrors: [] }
  return { image: entry.image, mirrors: [...entry.mirrors] }
}

/** Returns `[runImage.image, ...mirrors]` from an app image's label (the decoder already applied the `stack` fallback). */
export function labelRunImageCandidates(md: LayersMetadata): string[] {
  return runImageCandidates({ image: md.runImage.image, mirrors: md.runImage.mirrors })
}

/**
 * Chooses the new run image for a rebase (§6.1) from the app image's label: same registry as
 * `appImage` and readable first, else the first readable. Throws RunImageUnavailableError.
 */
export async function selectRebaseRunImage(
  md: LayersMetadata, appImage: string, parse: ParseImageName, readable: ReadableProbe,
): Promise<string> {
  return pickReadable(labelRunImageCandidates(md), parse(appImage).registry, parse, readable)
}

/**
 * Returns true when `name` (normalised) equals the label's `runImage.image` or one of its
 * mirrors: the rebase name check of §6.2.
 */
export function runImageNameMatches(name: string, md: LayersMetadata, parse: ParseImageName): boolean {
  const want = normalizeImageName(name, parse)
  return labelRunImageCandidates(md).some((c) => normalizeImageName(c, parse) === want)
}
