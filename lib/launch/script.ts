/** The generic in-image launcher (cnb-spec.md §7): a POSIX sh program, identical bytes for every
 * app so its layer is shared across images. Everything app-specific lives in the launch
 * configuration written by `launchConfigScript` (launcher.ts). App images never need Node.
 *
 * Behaviour: the lifecycle launcher's rules (Platform API >= 0.4), not only the spec text:
 * - the process type is the basename of $0 when the configuration has it (`/cnb/process/<type>`
 *   links here). Otherwise there is no default: no args → exit 82 "when there is no default
 *   process a command is required"; `launcher -- cmd args` runs cmd directly; `launcher cmd args`
 *   is a shell command. CNB_PROCESS_TYPE selects nothing; it only prints the lifecycle's two
 *   warnings (on stderr);
 * - user args to a process type: command[1:] then the user args (or the process args when there
 *   are none) for array commands; appended to the args for Buildpack API < 0.9 processes; else
 *   they replace the args;
 * - a shell process (direct=false, or a user command without `--`) with no args is a script, run
 *   as `/bin/sh -c WORD`; with args, each word is expanded like a double-quoted word ($VAR, $(..))
 *   with word boundaries kept, then exec'd (not found → the shell's exit 127);
 * - env: CNB_LAYERS_DIR, CNB_APP_DIR, CNB_PROCESS_TYPE, CNB_PLATFORM_API, CNB_DEPRECATION_MODE are
 *   removed, /cnb/process and /cnb/lifecycle dropped from PATH; then, read from the launch layers
 *   at launch time (env-script.ts), the root dirs and env files of each buildpack, then the
 *   configuration's extra env ops, then the layers' exec.d programs (execd-script.ts); then, for
 *   shell processes only, the layers' profile.d scripts and `<app>/.profile` are sourced. Direct
 *   processes (direct=true, Buildpack API >= 0.9, `--`) run no profile at all, as in the lifecycle;
 * - cwd: the app dir while env and profiles apply, then the process working dir;
 * - a direct command is looked up on the modified PATH (exit 82 when absent) and exec'd, so the
 *   exit status is the process's own. Launch errors print `ERROR: failed to launch: ...` (stderr,
 *   where the lifecycle uses stdout) and exit 82. CNB_PLATFORM_API is not checked. Shell
 *   processes use /bin/sh where the lifecycle uses /bin/bash (run images need not have bash).
 *
 * Written without bash-isms; tested under dash and busybox sh. Keep the text free of tabs and
 * trailing spaces: its digest is part of every image we build.
 */

import { PLATFORM_API } from '../api-version.js'
import { LAUNCHER_ENV_FUNCTIONS } from './env-script.js'
import { LAUNCHER_EXECD_FUNCTIONS } from './execd-script.js'

/** Where the launcher lives in the image. */
export const LAUNCHER_PATH = '/cnb/lifecycle/launcher'

/** Where the process-type links live in the image: `/cnb/process/<type>` → LAUNCHER_PATH. */
export const PROCESS_DIR = '/cnb/process'

const SCRIPT = `#!/bin/sh
# lading launcher: the same bytes in every image. The app's process table and launch environment
# come from $CNB_LAYERS_DIR/config/launch.sh (written at build time next to metadata.toml).
# Exit status: the process's own (the launcher execs it), or 82 for a launch error.
# POSIX sh only: it must run under dash, busybox sh and bash alike.

_lading_die() {
  printf 'ERROR: failed to launch: %s\\n' "$1" >&2
  exit 82
}

# Sets _lading_q to $1 as one single-quoted shell word.
_lading_quote() {
  _lading_s=$1
  _lading_q=
  while :; do
    case $_lading_s in
      *\\'*)
        _lading_q=$_lading_q\${_lading_s%%\\'*}\\'\\\\\\'\\'
        _lading_s=\${_lading_s#*\\'}
        ;;
      *) break ;;
    esac
  done
  _lading_q=\\'$_lading_q$_lading_s\\'
}

# Appends each argument, quoted, to the word list in _lading_argv (later: eval "set -- $_lading_argv").
_lading_add() {
  for _lading_a in "$@"; do
    _lading_quote "$_lading_a"
    _lading_argv="$_lading_argv $_lading_q"
  done
}

# Sets _lading_x to the word $1 expanded as the lifecycle expands each word of a shell process:
# \`$(eval echo \\"WORD\\")\`, so $VAR and $(cmd) expand, quotes inside the word act as shell
# quotes, and trailing newlines go. printf, not echo: dash's echo would read backslashes.
_lading_expand() {
  _lading_x=$(eval "printf '%s' \\"$1\\"")
}

${LAUNCHER_ENV_FUNCTIONS}
${LAUNCHER_EXECD_FUNCTIONS}
# Succeeds when $1 names an executable file: a path, or a name found on PATH.
_lading_lookup() {
  case $1 in
    */*)
      [ -f "$1" ] && [ -x "$1" ]
      return
      ;;
  esac
  _lading_rest=\${PATH-}:
  while [ -n "$_lading_rest" ]; do
    _lading_d=\${_lading_rest%%:*}
    _lading_rest=\${_lading_rest#*:}
    [ -n "$_lading_d" ] || _lading_d=.
    if [ -f "$_lading_d/$1" ] && [ -x "$_lading_d/$1" ]; then return 0; fi
  done
  return 1
}

_lading_layers=\${CNB_LAYERS_DIR:-/layers}
_lading_config=$_lading_layers/config/launch.sh
[ -f "$_lading_config" ] || _lading_die "no launch configuration at $_lading_config"
_lading_format=
_lading_default=
_lading_app_default=/workspace
. "$_lading_config"
[ "$_lading_format" = 2 ] || _lading_die "unsupported launch configuration in $_lading_config"
_lading_app=\${CNB_APP_DIR:-$_lading_app_default}

# Process selection, as the lifecycle's launcher does it (Platform API >= 0.4): the process type is
# our own name when the configuration has it (/cnb/process/<type> links here). CNB_PROCESS_TYPE is
# not honoured, only warned about; a bare launcher has no default to fall back on.
if [ -n "\${CNB_PROCESS_TYPE-}" ]; then
  printf 'Warning: CNB_PROCESS_TYPE is not supported in Platform API %s\\n' "\${CNB_PLATFORM_API:-${PLATFORM_API}}" >&2
  printf "Warning: Run with ENTRYPOINT '%s' to invoke the '%s' process type\\n" "$CNB_PROCESS_TYPE" "$CNB_PROCESS_TYPE" >&2
fi
_lading_self=\${0##*/}
_lading_type=
_lading_argv=
_lading_cmd=
_lading_args=
_lading_wd=
_lading_direct=1
_lading_append=0
if [ -n "$_lading_self" ] && _lading_process "$_lading_self"; then
  _lading_type=$_lading_self
  _lading_argv=$_lading_cmd
  if [ $# -eq 0 ] || [ "$_lading_append" = 1 ]; then _lading_argv="$_lading_argv $_lading_args"; fi
  _lading_add "$@"
elif [ $# -eq 0 ]; then
  _lading_die 'determine start command: when there is no default process a command is required'
elif [ "$1" = -- ] && [ $# -gt 1 ]; then
  shift
  _lading_add "$@"
else
  _lading_direct=0
  _lading_add "$@"
fi

# Environment (cnb-spec 7.3): drop the platform's own variables and our dirs from PATH.
unset CNB_LAYERS_DIR CNB_APP_DIR CNB_PROCESS_TYPE CNB_PLATFORM_API CNB_DEPRECATION_MODE
if [ -n "\${PATH+set}" ]; then
  _lading_rest=$PATH:
  _lading_path=
  _lading_sep=
  while [ -n "$_lading_rest" ]; do
    _lading_d=\${_lading_rest%%:*}
    _lading_rest=\${_lading_rest#*:}
    case $_lading_d in
      /cnb/process | /cnb/process/ | /cnb/lifecycle | /cnb/lifecycle/) ;;
      *)
        _lading_path=$_lading_path$_lading_sep$_lading_d
        _lading_sep=:
        ;;
    esac
  done
  PATH=$_lading_path
  export PATH
fi
cd "$_lading_app" || _lading_die "cannot change to the app directory $_lading_app"
_lading_buildpacks _lading_bp_env
_lading_env
_lading_buildpacks _lading_bp_execd
# Profiles are for shell processes only: a direct process gets the env files and exec.d alone.
if [ "$_lading_direct" != 1 ]; then
  _lading_buildpacks _lading_bp_profile
  if [ -f "$_lading_app/.profile" ]; then . "$_lading_app/.profile"; fi
fi
[ -n "$_lading_wd" ] || _lading_wd=$_lading_app
cd "$_lading_wd" || _lading_die "cannot change to the working directory $_lading_wd"

eval "set -- $_lading_argv"
if [ "$_lading_direct" != 1 ]; then
  # A shell process with no args is a script: its one command word runs as \`sh -c WORD\`.
  # Otherwise every word is expanded like a double-quoted word, keeping word boundaries.
  [ $# -ne 1 ] || exec /bin/sh -c "$1"
  _lading_argv=
  for _lading_t in "$@"; do
    _lading_expand "$_lading_t"
    _lading_add "$_lading_x"
  done
  eval "set -- $_lading_argv"
  # As with the lifecycle's bash: a missing command is the shell's "not found", exit 127.
  exec "$@"
fi
_lading_lookup "$1" || _lading_die "path lookup: exec: \\"$1\\": executable file not found in \\$PATH"
exec "$@"
`

/** Returns the launcher program text (#!/bin/sh); the same string on every call. */
export function launcherScript(): string {
  return SCRIPT
}
