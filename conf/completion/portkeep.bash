# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for portkeep: commands, options, -c files, the durations of
# apply --confirm. Installed as bash-completion's completions/portkeep.

_portkeep() {
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        local verbs="check plan apply confirm show export run status version help"
        local opts="-c --config --json -v --verbose -q --quiet -h --help --version"
        local verb="" i

        case $prev in
        -c | --config)
                COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur"))
                return
                ;;
        --confirm)
                COMPREPLY=($(compgen -W "30s 1m 2m 5m 10m" -- "$cur"))
                return
                ;;
        esac
        # the command given so far (options may come before it)
        for ((i = 1; i < COMP_CWORD; i++)); do
                case ${COMP_WORDS[i]} in
                -c | --config | --confirm) ((i++)) ;;
                -*) ;;
                *)
                        verb=${COMP_WORDS[i]}
                        break
                        ;;
                esac
        done
        if [[ -z $verb ]]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$verbs" -- "$cur"))
                fi
                return
        fi
        case $verb in
        apply) COMPREPLY=($(compgen -W "--force --dry-run --confirm $opts" -- "$cur")) ;;
        check)
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
                else
                        COMPREPLY=($(compgen -f -X '!*.y*ml' -- "$cur") $(compgen -d -S / -- "$cur"))
                fi
                ;;
        help) COMPREPLY=($(compgen -W "$verbs" -- "$cur")) ;;
        *) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
        esac
}
complete -F _portkeep portkeep
