/** Options of one ProcessRunner.run call. */
export interface RunOptions {
  /** Working directory, as the process sees it (inside the sandbox for the sandbox runner). */
  cwd: string
  /** The complete environment: nothing is inherited from lading's own process. */
  env: Record<string, string>
  /** Aborting kills the process (and everything it started) and rejects with ERR_ABORTED. */
  signal?: AbortSignal
  /** Receives stdout and stderr merged, as decoded UTF-8 text, in arrival order. */
  onOutput?: (chunk: string) => void
}

/** How a process ended: its exit code, or 128 + signal number when a signal killed it. */
export interface RunResult {
  exitCode: number
}

/**
 * Runs buildpack programs (bin/detect, bin/build). Implementations: the host runner
 * (`--no-sandbox`) and the bubblewrap sandbox. `file` is a path or a name looked up on
 * `env.PATH`. Resolves with the exit code whatever it is; rejects only when the process could not
 * be started (ERR_PROCESS_SPAWN / ERR_SANDBOX_*) or was aborted (ERR_ABORTED).
 */
export interface ProcessRunner {
  run(file: string, args: readonly string[], o: RunOptions): Promise<RunResult>
}
