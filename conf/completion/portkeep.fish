# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for portkeep: commands, options, -c files, the durations of
# apply --confirm. Installed in fish's vendor completions directory.

set -l commands check plan apply confirm show export run status version help
complete -c portkeep -f
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a check -d 'validate files offline'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a plan -d 'read the router, print the diff'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a apply -d 'plan, apply, verify'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a confirm -d 'keep what apply --confirm changed'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a show -d "print the router's table"
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a export -d 'print the table as a portkeep file'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a run -d 'the daemon'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a status -d 'the last pass'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a version -d 'print the version'
complete -c portkeep -n "not __fish_seen_subcommand_from $commands" -a help -d "this help, or a command's"
complete -c portkeep -n "__fish_seen_subcommand_from help" -a "$commands"
complete -c portkeep -n "__fish_seen_subcommand_from check" -F
complete -c portkeep -s c -l config -r -F -d 'config file'
complete -c portkeep -l json -d 'machine-readable output'
complete -c portkeep -s v -l verbose -d 'more detail'
complete -c portkeep -s q -l quiet -d 'errors only'
complete -c portkeep -s h -l help -d help
complete -c portkeep -l version -d 'print the version'
complete -c portkeep -n "__fish_seen_subcommand_from apply" -l force -d 'take over entries portkeep does not own'
complete -c portkeep -n "__fish_seen_subcommand_from apply" -l dry-run -d 'change nothing'
complete -c portkeep -n "__fish_seen_subcommand_from apply" -l confirm -x -a '30s 1m 2m 5m 10m' -d 'keep only if confirmed in time'
