# bash completion for gpu-launch                           -*- shell-script -*-
# Written by `gpu-launch --completions bash` from its option table: install
# it as ~/.local/share/bash-completion/completions/gpu-launch (bash-completion
# loads it on first use), or source it.
#
# Options are offered only before PROGRAM; from PROGRAM on, completion is
# PROGRAM's own (bash-completion's _command_offset; without bash-completion,
# command names, then file names). A SPEC completes to its keywords and this
# machine's GPUs by PCI address, from `gpu-launch --list --json` (which never
# wakes a GPU).

# The words before the cursor as the user typed them: bash splits them at
# COMP_WORDBREAKS (':' in 0000:01:00.0, '=' in --gpu=SPEC); join them back.
# Sets _gl_words (the words) and _gl_at (where each starts in COMP_WORDS).
_gpu_launch_join() {
    local line=${COMP_LINE:0:COMP_POINT} i n=-1 tok
    _gl_words=() _gl_at=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        tok=${COMP_WORDS[i]}
        if ((n < 0)) || [[ $line == [[:space:]]* ]]; then
            line=${line#"${line%%[![:space:]]*}"}
            n=$((n + 1))
            _gl_words[n]=
            _gl_at[n]=$i
        fi
        _gl_words[n]+=$tok
        line=${line#"$tok"}
    done
}

# COMPREPLY: those of the words after $1 that start with $1. Readline replaces
# only what follows the last ':' of the word, so that part is cut off.
_gpu_launch_reply() {
    local cur=$1 IFS=$'\n' i colon
    shift
    COMPREPLY=($(compgen -W "$*" -- "$cur"))
    if [[ $cur == *:* && $COMP_WORDBREAKS == *:* ]]; then
        colon=${cur%"${cur##*:}"}
        for i in "${!COMPREPLY[@]}"; do
            COMPREPLY[i]=${COMPREPLY[i]#"$colon"}
        done
    fi
}

# A SPEC: the keywords, then this machine's GPUs by PCI address.
_gpu_launch_spec() {
    local gpus
    gpus=$(command gpu-launch --list --json 2>/dev/null |
        sed -n 's/^ *"pci": *"\([0-9a-f:.]*\)",*$/\1/p')
    _gpu_launch_reply "$1" @KEYWORDS@ $gpus
}

_gpu_launch_files() {
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "$1"))
}

# The value of option $1, typed so far: $2.
_gpu_launch_value() {
    case $1 in
@VALUES@
    *) COMPREPLY=() ;;
    esac
}

_gpu_launch() {
    local _gl_words _gl_at
    _gpu_launch_join
    local c=$((${#_gl_words[@]} - 1))
    local cur=${_gl_words[c]} k word rest ch expect= program= noprogram=
    # Walk the words before the cursor as gpu-launch's parser does.
    for ((k = 1; k < c; k++)); do
        word=${_gl_words[k]}
        if [[ $expect ]]; then
            expect=
            continue
        fi
        case $word in
        --)
            program=$((k + 1))
            break
            ;;
        --*=*)
            case ${word%%=*} in @NOPROGRAM@) noprogram=1 ;; esac
            ;;
        --*)
            case $word in @NOPROGRAM@) noprogram=1 ;; esac
            case $word in
            @REQUIRED@) expect=$word ;;
            @OPTIONAL@) [[ ${_gl_words[k + 1]} == -* ]] || expect=$word ;;
            esac
            ;;
        -?*)
            # A cluster: -nv, -gSPEC, -g SPEC.
            rest=${word:1}
            while [[ $rest ]]; do
                ch=-${rest:0:1}
                rest=${rest:1}
                case $ch in @NOPROGRAM@) noprogram=1 ;; esac
                case $ch in
                @REQUIRED@)
                    [[ $rest ]] || expect=$ch
                    break
                    ;;
                @OPTIONAL@) break ;;
                esac
            done
            ;;
        *)
            program=$k
            break
            ;;
        esac
    done

    if [[ $program ]]; then
        # PROGRAM's own completion, from the word where it starts.
        if declare -F _command_offset >/dev/null; then
            _command_offset "${_gl_at[program]}"
        elif ((program == c)); then
            COMPREPLY=($(compgen -c -- "$cur"))
        else
            _gpu_launch_files "$cur"
        fi
    elif [[ $expect ]]; then
        _gpu_launch_value "$expect" "$cur"
    elif [[ $cur == --*=* ]]; then
        _gpu_launch_value "${cur%%=*}" "${cur#*=}"
    elif [[ $cur == -* ]]; then
        _gpu_launch_reply "$cur" @OPTIONS@
    elif [[ ! $noprogram ]]; then
        # The word where PROGRAM goes: command names.
        if declare -F _command_offset >/dev/null; then
            _command_offset "${_gl_at[c]}"
        else
            COMPREPLY=($(compgen -c -- "$cur"))
        fi
    fi
    return 0
}

complete -F _gpu_launch gpu-launch
