_diag_tool() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="diag_tool"
                ;;
            diag_tool,check)
                cmd="diag_tool__subcmd__check"
                ;;
            diag_tool,help)
                cmd="diag_tool__subcmd__help"
                ;;
            diag_tool,report)
                cmd="diag_tool__subcmd__report"
                ;;
            diag_tool__subcmd__help,check)
                cmd="diag_tool__subcmd__help__subcmd__check"
                ;;
            diag_tool__subcmd__help,help)
                cmd="diag_tool__subcmd__help__subcmd__help"
                ;;
            diag_tool__subcmd__help,report)
                cmd="diag_tool__subcmd__help__subcmd__report"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        diag_tool)
            opts="-h -V --root --help --version report check help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__check)
            opts="-h --ecc-corrected-warn --temp-margin --mem-warn --mem-crit --swap-warn --swap-crit --link-down-critical --aer-correctable-warn --pcie-link-critical --throttle-warn --fan-min-rpm --taint-warn --root --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --ecc-corrected-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --temp-margin)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --mem-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --mem-crit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --swap-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --swap-crit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --aer-correctable-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --throttle-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fan-min-rpm)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --taint-warn)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__help)
            opts="report check help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__help__subcmd__check)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__help__subcmd__help)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__help__subcmd__report)
            opts=""
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        diag_tool__subcmd__report)
            opts="-h --format --json --textfile --root --help"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --format)
                    COMPREPLY=($(compgen -W "text json prometheus" -- "${cur}"))
                    return 0
                    ;;
                --textfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --root)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _diag_tool -o nosort -o bashdefault -o default diag_tool
else
    complete -F _diag_tool -o bashdefault -o default diag_tool
fi
