# fish completion for gpu-launch, written by `gpu-launch --completions fish`
# from its option table: install it as
# ~/.config/fish/completions/gpu-launch.fish.
#
# Options are offered only before PROGRAM; from PROGRAM on, completion is
# PROGRAM's own (__fish_complete_subcommand). A SPEC completes to its
# keywords and this machine's GPUs by PCI address, from
# `gpu-launch --list --json` (which never wakes a GPU).

# Walks the tokens before the cursor as gpu-launch's parser does and prints
# where the cursor is: "program N" (PROGRAM is token N), "value" (an
# option's value), "noprogram" (after an option that takes no PROGRAM) or
# "options" (where an option or PROGRAM goes).
function __gpu_launch_state
    set -l tokens (commandline -opc) (commandline -ct)
    set -l last (count $tokens)
    set -l noprogram 0
    set -l expect 0
    set -l k 1
    while true
        set k (math $k + 1)
        test $k -lt $last; or break
        set -l word $tokens[$k]
        if test $expect = 1
            set expect 0
            continue
        end
        switch $word
            case --
                echo program (math $k + 1)
                return
            case '--*=*'
                contains -- (string split -m1 = -- $word)[1] @NOPROGRAM@; and set noprogram 1
            case '--*'
                contains -- $word @NOPROGRAM@; and set noprogram 1
                if contains -- $word @REQUIRED@
                    set expect 1
                else if contains -- $word @OPTIONAL@; and not string match -q -- '-*' $tokens[(math $k + 1)]
                    set expect 1
                end
            case '-?*'
                # A cluster: -nv, -gSPEC, -g SPEC.
                set -l rest (string sub -s 2 -- $word)
                while test -n "$rest"
                    set -l ch -(string sub -l 1 -- $rest)
                    set rest (string sub -s 2 -- $rest)
                    contains -- $ch @NOPROGRAM@; and set noprogram 1
                    if contains -- $ch @REQUIRED@
                        test -z "$rest"; and set expect 1
                        break
                    else if contains -- $ch @OPTIONAL@
                        break
                    end
                end
            case '*'
                echo program $k
                return
        end
    end
    if test $expect = 1
        echo value
    else if test $noprogram = 1
        echo noprogram
    else
        echo options
    end
end

# True while options may come (no PROGRAM before the cursor).
function __gpu_launch_before_program
    not string match -q 'program *' -- (__gpu_launch_state)
end

# True where PROGRAM or one of its arguments goes.
function __gpu_launch_at_program
    switch (__gpu_launch_state)
        case 'program *'
            return 0
        case options
            not string match -q -- '-*' (commandline -ct)
        case '*'
            return 1
    end
end

# PROGRAM's own completion: command names, then what fish completes for it.
function __gpu_launch_program
    set -l tokens (commandline -opc) (commandline -ct)
    set -l state (string split ' ' -- (__gpu_launch_state))
    if test "$state[1]" = program
        set tokens $tokens[$state[2]..-1]
    else
        set tokens $tokens[-1]
    end
    __fish_complete_subcommand --commandline $tokens
end

# A SPEC: the keywords, then this machine's GPUs by PCI address.
function __gpu_launch_spec
@KEYWORDS@
    set -l json (command gpu-launch --list --json 2>/dev/null)
    set -l pci (string match -rg '^\s*"pci": "?([^",]*)' -- $json)
    set -l driver (string match -rg '^\s*"driver": "?([^",]*)' -- $json)
    set -l kind (string match -rg '^\s*"kind": "?([^",]*)' -- $json)
    set -l i 0
    for p in $pci
        set i (math $i + 1)
        test "$p" = null; and continue
        printf '%s\t%s\n' $p "$kind[$i] GPU, driver $driver[$i]"
    end
end

complete -c gpu-launch -f
complete -c gpu-launch -n __gpu_launch_at_program -a '(__gpu_launch_program)'
@COMPLETES@
