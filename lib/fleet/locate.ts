/** Line numbers for a fleet file's entries and keys. The TOML parser gives values without
 * positions, so TOML lines are found by scanning the text for `[[images]]` / `[defaults]`
 * headers and `key =` lines inside each section; YAML lines come from the yaml package's ranges.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml'

/** Where a section (an image entry or defaults) and its keys are; 0 means unknown. */
export interface Locator {
  /** Line of images[i] (its header or first key). */
  entry(i: number): number
  /** Line of `key` inside images[i], or inside [defaults] when i is 'defaults'. */
  key(i: number | 'defaults', key: string): number
  /** Line of a top-level key. */
  top(key: string): number
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
const keyLine = (key: string): RegExp => new RegExp(`^\\s*(?:"${escape(key)}"|'${escape(key)}'|${escape(key)})\\s*(?:=|\\.)`)

/** A locator over TOML text. */
export function tomlLocator(text: string): Locator {
  const lines = text.split('\n')
  const sections: { name: string; line: number }[] = []
  lines.forEach((l, i) => {
    const m = /^\s*\[(\[)?\s*([^\]]+?)\s*\]/.exec(l)
    if (m) sections.push({ name: `${m[1] ? '[]' : ''}${m[2]!.replace(/["']/g, '')}`, line: i + 1 })
  })
  const images = sections.filter((s) => s.name === '[]images')
  const end = (start: number): number => sections.find((s) => s.line > start)?.line ?? lines.length + 1
  const find = (re: RegExp, from: number, to: number): number => {
    for (let n = from; n < to; n++) if (re.test(lines[n - 1] ?? '')) return n
    return 0
  }
  const firstSection = sections[0]?.line ?? lines.length + 1
  return {
    entry: (i) => images[i]?.line ?? 0,
    key(i, key) {
      const start = i === 'defaults' ? sections.find((s) => s.name === 'defaults')?.line : images[i]?.line
      if (!start) return i === 'defaults' ? 0 : this.entry(i)
      return find(keyLine(key), start + 1, end(start)) || start
    },
    top: (key) => find(keyLine(key), 1, firstSection) || (sections.find((s) => s.name === key || s.name === `[]${key}`)?.line ?? 0),
  }
}

/** A locator over a parsed YAML document. */
export function yamlLocator(doc: Document, counter: LineCounter): Locator {
  const lineOf = (offset: number | undefined): number => offset === undefined ? 0 : counter.linePos(offset).line
  const root = doc.contents
  const pairOf = (map: unknown, key: string) => isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === key) : undefined
  const images = pairOf(root, 'images')?.value
  const item = (i: number): unknown => isSeq(images) ? images.items[i] : undefined
  const rangeStart = (n: unknown): number | undefined => (n as { range?: [number, number, number] } | null)?.range?.[0]
  return {
    entry: (i) => lineOf(rangeStart(item(i))),
    key(i, key) {
      const section = i === 'defaults' ? pairOf(root, 'defaults')?.value : item(i)
      const pair = pairOf(section, key)
      return lineOf(rangeStart(pair?.key) ?? rangeStart(section))
    },
    top: (key) => lineOf(rangeStart(pairOf(root, key)?.key)),
  }
}

/** Parses YAML text into plain data plus a locator; throws with the first error's message and line. */
export function parseYaml(text: string): { data: unknown; locator: Locator; error?: { message: string; line: number } } {
  const counter = new LineCounter()
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true })
  const locator = yamlLocator(doc, counter)
  const first = doc.errors[0]
  if (first) return { data: undefined, locator, error: { message: first.message.split('\n')[0]!, line: counter.linePos(first.pos[0]).line } }
  return { data: doc.toJS(), locator }
}
