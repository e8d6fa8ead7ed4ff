/** exec.d for the generic sh launcher (cnb-spec.md §3.5, §7.3): after the env files, each
 * executable in a launch layer's `exec.d/` and then `exec.d/<type>/` runs with cwd the app dir and
 * fd 3 as its output channel; the `NAME = "value"` pairs it writes there are set (override) before
 * the next one runs. Buildpacks in group order, layers by name, files by name; the Go launcher's
 * order. A failing program aborts the launch (exit 82), as there.
 *
 * The TOML read is what exec.d programs write: one string per line, basic or literal, with the
 * escapes \" \\ \n \t \r; anything else is a launch error naming the program, not a guess.
 * Builtins only, no temp files: a run image may have /bin/sh and a read-only root.
 * Uses `_lading_nl`, `_lading_settable`, `_lading_op` (launcher-env-script.ts) and `_lading_die`.
 */

/** POSIX sh text (no tabs, no trailing spaces), included verbatim in the launcher. */
export const LAUNCHER_EXECD_FUNCTIONS = `# _lading_unquote TEXT: sets _lading_u to the TOML basic string whose text after the opening quote
# is $1, and _lading_r to what follows its closing quote. Fails on an unterminated string or an
# escape a launch environment cannot carry.
_lading_unquote() {
  _lading_r=$1
  _lading_u=
  while :; do
    case $_lading_r in
      '"'*)
        _lading_r=\${_lading_r#?}
        return 0
        ;;
      '\\'*)
        _lading_r=\${_lading_r#?}
        case $_lading_r in
          '"'*) _lading_u=$_lading_u'"' ;;
          '\\'*) _lading_u=$_lading_u'\\' ;;
          n*) _lading_u=$_lading_u$_lading_nl ;;
          t*) _lading_u=$_lading_u$(printf '\\t') ;;
          r*) _lading_u=$_lading_u$(printf '\\r') ;;
          *) return 1 ;;
        esac
        _lading_r=\${_lading_r#?}
        ;;
      '') return 1 ;;
      *)
        _lading_c=\${_lading_r%%[\\"\\\\]*}
        [ "$_lading_c" != "$_lading_r" ] || return 1
        _lading_u=$_lading_u$_lading_c
        _lading_r=\${_lading_r#"$_lading_c"}
        ;;
    esac
  done
}

# _lading_execd_toml FILE TEXT: sets the NAME = "value" pairs of TEXT, the TOML an exec.d program
# wrote (strings only, one per line, as the Go launcher reads them into a string map).
_lading_execd_toml() {
  _lading_t=$2$_lading_nl
  while [ -n "$_lading_t" ]; do
    _lading_line=\${_lading_t%%"$_lading_nl"*}
    _lading_t=\${_lading_t#*"$_lading_nl"}
    _lading_line=\${_lading_line#"\${_lading_line%%[![:blank:]]*}"}
    case $_lading_line in
      '' | '#'*) continue ;;
      *=*) ;;
      *) _lading_die "exec.d program $1 wrote a line that is not NAME = \\"value\\": $_lading_line" ;;
    esac
    _lading_k=\${_lading_line%%=*}
    _lading_k=\${_lading_k%"\${_lading_k##*[![:blank:]]}"}
    case $_lading_k in
      \\"*\\") _lading_k=\${_lading_k#?}; _lading_k=\${_lading_k%?} ;;
    esac
    _lading_w=\${_lading_line#*=}
    _lading_w=\${_lading_w#"\${_lading_w%%[![:blank:]]*}"}
    case $_lading_w in
      \\"\\"\\"* | \\'\\'\\'*) _lading_die "exec.d program $1: multi-line strings are not supported (for $_lading_k)" ;;
      \\"*) _lading_unquote "\${_lading_w#?}" || _lading_die "exec.d program $1: cannot read the string for $_lading_k (escapes: \\\\\\" \\\\\\\\ \\\\n \\\\t \\\\r)" ;;
      \\'*\\'*)
        _lading_r=\${_lading_w#?}
        _lading_u=\${_lading_r%%\\'*}
        _lading_r=\${_lading_r#*\\'}
        ;;
      *) _lading_die "exec.d program $1: the value of $_lading_k must be a string" ;;
    esac
    _lading_r=\${_lading_r#"\${_lading_r%%[![:blank:]]*}"}
    case $_lading_r in
      '' | '#'*) ;;
      *) _lading_die "exec.d program $1: unexpected text after the value of $_lading_k" ;;
    esac
    _lading_settable "$_lading_k" || _lading_die "exec.d program $1: invalid environment variable name: $_lading_k"
    _lading_op override "$_lading_k" "$_lading_u" '' ''
  done
}

# _lading_execd FILE: runs one exec.d program (cwd: the app dir) with fd 3 as its output channel;
# its stdout and stderr pass through. A failure aborts the launch, as in the Go launcher.
_lading_execd() {
  [ -x "$1" ] || _lading_die "exec.d program $1 is not executable"
  _lading_xs=0
  { _lading_xo=$("$1" 3>&1 1>&4 4>&-); } 4>&1 || _lading_xs=$?
  [ "$_lading_xs" = 0 ] || _lading_die "exec.d program $1 failed (exit status $_lading_xs)"
  _lading_execd_toml "$1" "$_lading_xo"
}

# _lading_bp_execd ID LAYER...: one buildpack's exec.d programs, layer by layer: exec.d/* then
# exec.d/<type>/*.
_lading_bp_execd() {
  shift
  for _lading_xl in "$@"; do
    for _lading_xf in "$_lading_xl/exec.d"/*; do
      if [ -f "$_lading_xf" ]; then _lading_execd "$_lading_xf"; fi
    done
    if [ -n "$_lading_type" ]; then
      for _lading_xf in "$_lading_xl/exec.d/$_lading_type"/*; do
        if [ -f "$_lading_xf" ]; then _lading_execd "$_lading_xf"; fi
      done
    fi
  done
}
`
