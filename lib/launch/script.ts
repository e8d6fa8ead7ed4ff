/**
 * The generic in-image launcher (cnb-spec.md §7): a POSIX sh program, identical bytes for every
 * app so its layer is shared across images. Everything app-specific lives in the launch
 * configuration written by `launchConfigScript` (launcher.ts). App images never need Node.
 *
 * Behaviour (cnb-spec.md §7, with the differences a POSIX sh launcher implies):
 * - the process type is the basename of $0 when the configuration has it (`/cnb/process/<type>`
 *   links here); else no args → the default type, or exit 82 "a command is required";
 *   `launcher -- cmd args` runs cmd directly; `launcher cmd args` is a shell command: each token is
 *   expanded like a double-quoted word ($VAR, $(..)) with token boundaries kept, and a single token
 *   holding shell syntax runs as `/bin/sh -c TOKEN`;
 * - user args replace the process args (appended for Buildpack API < 0.9 processes);
 * - env: CNB_LAYERS_DIR, CNB_APP_DIR, CNB_PROCESS_TYPE, CNB_PLATFORM_API, CNB_DEPRECATION_MODE are
 *   removed, /cnb/process and /cnb/lifecycle dropped from PATH; then, read from the launch layers
 *   at launch time (launcher-env-script.ts), the root dirs and env files of each buildpack, then
 *   the configuration's extra env ops, then the layers' exec.d programs (launcher-execd-script.ts),
 *   then the layers' profile.d scripts and `<app>/.profile` are
 *   sourced (for every process, direct ones included, since the shell is always there; the Go
 *   launcher sources them only for shell processes);
 * - cwd: the app dir while env and profiles apply, then the process working dir;
 * - the command is looked up on the modified PATH (exit 82 when absent) and exec'd, so the exit
 *   status is the process's own. CNB_PLATFORM_API is not checked.
 *
 * Written without bash-isms; tested under dash and busybox sh. Keep the text free of tabs and
 * trailing spaces: its digest is part of every image we build.
 */

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
  printf 'lading launcher: %s\\n' "$1" >&2
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

# Sets _lading_x to $1 expanded as a double-quoted word ($VAR, $(cmd)), the way a shell process
# expands each of its tokens.
_lading_expand() {
  _lading_s=$1
  _lading_e=
  while :; do
    case $_lading_s in
      *\\"*)
        _lading_e=$_lading_e\${_lading_s%%\\"*}\\\\\\"
        _lading_s=\${_lading_s#*\\"}
        ;;
      *) break ;;
    esac
  done
  eval "_lading_x=\\"$_lading_e$_lading_s\\""
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

# Process selection (cnb-spec 7.2): our own name first (/cnb/process/<type> links here).
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
elif [ $# -eq 0 ]; then
  if [ -n "$_lading_default" ] && _lading_process "$_lading_default"; then
    _lading_type=$_lading_default
  else
    _lading_die 'a command is required: no process type matches and there is no default process'
  fi
fi
if [ -n "$_lading_type" ]; then
  _lading_argv=$_lading_cmd
  if [ $# -eq 0 ] || [ "$_lading_append" = 1 ]; then _lading_argv="$_lading_argv $_lading_args"; fi
  _lading_add "$@"
elif [ "$1" = -- ]; then
  shift
  [ $# -gt 0 ] || _lading_die 'a command is required after --'
  _lading_direct=1
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
_lading_buildpacks _lading_bp_profile
if [ -f "$_lading_app/.profile" ]; then . "$_lading_app/.profile"; fi
[ -n "$_lading_wd" ] || _lading_wd=$_lading_app
cd "$_lading_wd" || _lading_die "cannot change to the working directory $_lading_wd"

eval "set -- $_lading_argv"
if [ "$_lading_direct" != 1 ]; then
  # One token holding shell syntax is a script; a plain word is a command like any other.
  if [ $# -eq 1 ]; then
    case $1 in
      *[!A-Za-z0-9_./:@%+,=-]*) exec /bin/sh -c "$1" ;;
    esac
  fi
  _lading_argv=
  for _lading_t in "$@"; do
    _lading_expand "$_lading_t"
    _lading_add "$_lading_x"
  done
  eval "set -- $_lading_argv"
fi
_lading_lookup "$1" || _lading_die "command not found: $1"
exec "$@"
`

/** Returns the launcher program text (#!/bin/sh); the same string on every call. */
export function launcherScript(): string {
  return SCRIPT
}
