# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_diag_tool_global_optspecs
    string join \n root= h/help V/version
end

function __fish_diag_tool_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_diag_tool_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_diag_tool_using_subcommand
    set -l cmd (__fish_diag_tool_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c diag_tool -n "__fish_diag_tool_needs_command" -l root -d 'Directory holding the proc/, sys/ and etc/ trees to inspect' -r -F
complete -c diag_tool -n "__fish_diag_tool_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c diag_tool -n "__fish_diag_tool_needs_command" -s V -l version -d 'Print version'
complete -c diag_tool -n "__fish_diag_tool_needs_command" -f -a "report" -d 'Print what the machine is made of and how it is doing'
complete -c diag_tool -n "__fish_diag_tool_needs_command" -f -a "check" -d 'Run health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c diag_tool -n "__fish_diag_tool_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand report" -l format -d 'text for people, json (schema_version 1), or prometheus (text exposition format)' -r -f -a "text\t''
json\t''
prometheus\t''"
complete -c diag_tool -n "__fish_diag_tool_using_subcommand report" -l textfile -d 'Write the Prometheus metrics to DIR/diag_tool.prom atomically, for node_exporter\'s textfile collector, and print nothing' -r -F
complete -c diag_tool -n "__fish_diag_tool_using_subcommand report" -l root -d 'Directory holding the proc/, sys/ and etc/ trees to inspect' -r -F
complete -c diag_tool -n "__fish_diag_tool_using_subcommand report" -l json -d 'Print JSON (schema_version 1) instead of text; same as --format json'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand report" -s h -l help -d 'Print help'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l ecc-corrected-warn -d 'Warn when one memory controller has this many corrected ECC errors' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l temp-margin -d 'Warn when a temperature is within this many degrees Celsius of its critical point' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l mem-warn -d 'Warn when available memory is below this percentage of the total' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l mem-crit -d 'Critical when available memory is below this percentage of the total' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l swap-warn -d 'Warn when this percentage of swap is in use' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l swap-crit -d 'Critical when this percentage of swap is in use' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l aer-correctable-warn -d 'Warn when one PCIe device has logged this many correctable AER errors' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l throttle-warn -d 'Warn when a CPU package or one of its CPUs was thermally throttled this many times' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l fan-min-rpm -d 'Critical when a fan turns slower than this (0: only stopped, alarmed or below the chip\'s own minimum)' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l taint-warn -d 'Warn when the kernel carries one of these taint letters (M machine check, B bad page; add D for oopses)' -r
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l root -d 'Directory holding the proc/, sys/ and etc/ trees to inspect' -r -F
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l link-down-critical -d 'Report a configured physical link that is down as CRITICAL instead of WARNING'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -l pcie-link-critical -d 'Report a PCIe link trained below its capability as CRITICAL instead of WARNING'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand check" -s h -l help -d 'Print help'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand help; and not __fish_seen_subcommand_from report check help" -f -a "report" -d 'Print what the machine is made of and how it is doing'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand help; and not __fish_seen_subcommand_from report check help" -f -a "check" -d 'Run health checks; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN'
complete -c diag_tool -n "__fish_diag_tool_using_subcommand help; and not __fish_seen_subcommand_from report check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
