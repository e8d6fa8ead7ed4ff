// The layer errors: unsafe paths, unsupported file types, files that changed while being read.
import { LadingError } from '../errors.js'

/**
 * Thrown when a tar entry (or a hard link's target) would land outside the extraction root:
 * an absolute path, a `..` component, or a parent that resolves through a symlink to somewhere
 * outside. `entry` is the path as written in the tar; the message names it and says why.
 */
export class UnsafePathError extends LadingError {
  constructor(readonly entry: string, readonly reason: string) {
    super('ERR_LAYER_UNSAFE_PATH', `refusing tar entry ${JSON.stringify(entry)}: ${reason}`)
  }
}

/**
 * Thrown when a directory being archived holds a FIFO or a device node. We refuse rather than
 * skip: silently dropping a file the caller put there would change the image without notice,
 * and `exclude` lets callers skip such paths on purpose. (Sockets are skipped: they mean
 * nothing outside the running host.)
 */
export class UnsupportedFileTypeError extends LadingError {
  constructor(readonly path: string, readonly kind: string) {
    super('ERR_LAYER_UNSUPPORTED_FILE', `cannot put ${kind} ${JSON.stringify(path)} in a layer (exclude it)`)
  }
}

/** Thrown when a file changes size while it is being archived (the tar header already promised a size). */
export class FileChangedError extends LadingError {
  constructor(readonly path: string, readonly expected: number, readonly actual: number) {
    super('ERR_LAYER_FILE_CHANGED', `${path} changed while archiving: expected ${expected} bytes, read ${actual}`)
  }
}
