/** The part of the generic sh launcher (launcher-script.ts) that builds the launch environment at
 * launch time from the layers in the image (cnb-spec.md §3.4, §3.5, §7.3). Reading the files at
 * launch, not at export, matters: a launch layer a buildpack keeps as metadata only is reused from
 * the previous image by digest, so its files exist only in the image.
 *
 * The launch configuration (launcher.ts) defines `_lading_buildpacks CALLBACK`, which calls
 * `CALLBACK ID LAYER_DIR...` once per buildpack in group order (layer dirs absolute, in name order).
 * The callbacks here are `_lading_bp_env` (root dirs, then env files) and `_lading_bp_profile`
 * (profile.d). Both read `_lading_type`, the selected process type ('' for a user command), and call
 * `_lading_die`, which the launcher defines.
 *
 * Differences from the Go launcher: names a POSIX shell cannot set (and `_lading_*`, and names that
 * bash makes read-only) are skipped; dotfiles are ignored (sh globs skip them); NUL bytes in a
 * value are lost. Files are taken in the shell's glob order, which is byte order in the C locale.
 */

/** POSIX sh text (no tabs, no trailing spaces), included verbatim in the launcher. */
export const LAUNCHER_ENV_FUNCTIONS = `_lading_nl='
'

# Succeeds when $1 is a variable name this launcher may set: portable, not ours, and not one
# bash (/bin/sh on some run images) treats as read-only.
_lading_settable() {
  case $1 in
    '' | [0-9]* | *[!A-Za-z0-9_]* | _lading_* | BASHOPTS | BASH_VERSINFO | EUID | PPID | SHELLOPTS | UID)
      return 1
      ;;
  esac
  return 0
}

# _lading_op OP NAME VALUE DELIM PROCESS: one env file operation (cnb-spec 3.4); PROCESS limits it
# to that process type. Prepend and append add no delimiter to an empty value.
_lading_op() {
  case $5 in
    '' | "$_lading_type") ;;
    *) return 0 ;;
  esac
  _lading_settable "$2" || _lading_die "invalid environment variable name: $2"
  eval "_lading_cur=\\\${$2-}"
  case $1 in
    override) _lading_new=$3 ;;
    default)
      [ -z "$_lading_cur" ] || return 0
      _lading_new=$3
      ;;
    prepend)
      if [ -n "$_lading_cur" ]; then _lading_new=$3$4$_lading_cur; else _lading_new=$3; fi
      ;;
    append)
      if [ -n "$_lading_cur" ]; then _lading_new=$_lading_cur$4$3; else _lading_new=$3; fi
      ;;
    *) _lading_die "unknown environment operation $1 for $2" ;;
  esac
  eval "$2=\\$_lading_new"
  export "$2"
}

# Sets _lading_v to the contents of file $1, byte for byte: no trimming, trailing newlines kept.
# Builtins only (a run image may have /bin/sh and nothing else).
_lading_read() {
  [ -r "$1" ] || _lading_die "cannot read $1"
  _lading_v=
  _lading_ln=
  while IFS= read -r _lading_ln; do
    _lading_v=$_lading_v$_lading_ln$_lading_nl
    _lading_ln=
  done <"$1"
  _lading_v=$_lading_v$_lading_ln
}

# _lading_envdir DIR: applies DIR's env files in name order. NAME or NAME.override sets,
# NAME.default sets an empty variable, NAME.prepend/NAME.append add with the delimiter from
# NAME.delim in DIR (default empty). Other suffixes, directories and unsettable names are skipped.
_lading_envdir() {
  for _lading_f in "$1"/*; do
    [ -f "$_lading_f" ] || continue
    _lading_n=\${_lading_f##*/}
    case $_lading_n in
      *.*)
        _lading_k=\${_lading_n#*.}
        _lading_n=\${_lading_n%%.*}
        ;;
      *) _lading_k=override ;;
    esac
    case $_lading_k in
      override | default | prepend | append) ;;
      *) continue ;;
    esac
    _lading_settable "$_lading_n" || continue
    _lading_dl=
    case $_lading_k in
      prepend | append)
        if [ -f "$1/$_lading_n.delim" ]; then
          _lading_read "$1/$_lading_n.delim"
          _lading_dl=$_lading_v
        fi
        ;;
    esac
    _lading_read "$_lading_f"
    _lading_op "$_lading_k" "$_lading_n" "$_lading_v" "$_lading_dl" ''
  done
}

# _lading_bp_env ID LAYER...: one buildpack's launch env: the root dirs of all its layers
# (bin -> PATH, lib -> LD_LIBRARY_PATH), then per layer env/, env.launch/, env.launch/<type>/.
_lading_bp_env() {
  shift
  for _lading_l in "$@"; do
    if [ -d "$_lading_l/bin" ]; then _lading_op prepend PATH "$_lading_l/bin" : ''; fi
    if [ -d "$_lading_l/lib" ]; then _lading_op prepend LD_LIBRARY_PATH "$_lading_l/lib" : ''; fi
  done
  for _lading_l in "$@"; do
    _lading_envdir "$_lading_l/env"
    _lading_envdir "$_lading_l/env.launch"
    if [ -n "$_lading_type" ]; then _lading_envdir "$_lading_l/env.launch/$_lading_type"; fi
  done
}

# _lading_profiled DIR: sources DIR's files in name order.
_lading_profiled() {
  for _lading_p in "$1"/*; do
    if [ -f "$_lading_p" ]; then . "$_lading_p"; fi
  done
}

# _lading_bp_profile ID LAYER...: sources one buildpack's profile.d/* then profile.d/<type>/*,
# layer by layer.
_lading_bp_profile() {
  shift
  for _lading_pl in "$@"; do
    _lading_profiled "$_lading_pl/profile.d"
    if [ -n "$_lading_type" ]; then _lading_profiled "$_lading_pl/profile.d/$_lading_type"; fi
  done
}
`
