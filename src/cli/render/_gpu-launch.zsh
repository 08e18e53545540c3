#compdef gpu-launch
# zsh completion for gpu-launch, written by `gpu-launch --completions zsh`
# from its option table: install it as _gpu-launch in a directory of $fpath
# (before compinit runs).
#
# Options are offered only before PROGRAM; from PROGRAM on, completion is
# PROGRAM's own (_normal). A SPEC completes to its keywords and this
# machine's GPUs by PCI address, from `gpu-launch --list --json` (which never
# wakes a GPU).

# A SPEC: the keywords, then this machine's GPUs by PCI address.
(( $+functions[_gpu-launch_spec] )) ||
_gpu-launch_spec() {
  local -a keywords gpus pci driver kind
  local line i ret=1
  keywords=(
@KEYWORDS@
  )
  for line in ${(f)"$(_call_program gpus gpu-launch --list --json 2>/dev/null)"}; do
    case $line in
      (*'"pci": '*) pci+=(${${${line#*: }%,}//\"}) ;;
      (*'"driver": '*) driver+=(${${${line#*: }%,}//\"}) ;;
      (*'"kind": '*) kind+=(${${${line#*: }%,}//\"}) ;;
    esac
  done
  for (( i = 1; i <= $#pci; i++ )); do
    [[ $pci[i] == null ]] && continue
    gpus+=("${pci[i]//:/\\:}:${kind[i]:-?} GPU, driver ${driver[i]:-none}")
  done
  _describe -t keywords 'SPEC keyword' keywords && ret=0
  _describe -t gpus 'GPU by PCI address' gpus && ret=0
  return ret
}

# PROGRAM's arguments: PROGRAM's own completion (_arguments leaves the `--`
# that ended the options in $words).
(( $+functions[_gpu-launch_program] )) ||
_gpu-launch_program() {
  if [[ $words[1] == -- ]]; then
    shift words
    (( CURRENT-- ))
  fi
  _normal
}

_gpu-launch() {
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args
  _arguments -s -S -A '-*' : \
@SPECS@
    '(-)1:program:_command_names -e' \
    '(-)*::program arguments:_gpu-launch_program' && ret=0
  return ret
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _gpu-launch "$@"
else
  compdef _gpu-launch gpu-launch
fi
