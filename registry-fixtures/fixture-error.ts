import { LadingError } from '../lib/errors.js'

/**
 * Error thrown by the test harness (tool missing, registry did not start, a helper command
 * failed). `code` is one of `ERR_FIXTURE_*`; messages carry the tool's stderr tail.
 */
export class FixtureError extends LadingError {}
