#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# A CI step: check every portkeep file of the repository (those with a
# "router:" section, or the arguments), as a job of any CI system runs it:
#     sh ci-step.sh                  # or: sh ci-step.sh portkeep/*.yaml
# In GitHub Actions, after installing portkeep:
#     - run: sh conf/git/ci-step.sh
set -eu
if [ "$#" -eq 0 ]; then
        set -- $(git ls-files '*.yaml' '*.yml' | while IFS= read -r f; do
                grep -q '^router:' "$f" && printf '%s\n' "$f"; done)
fi
[ "$#" -gt 0 ] || { echo "no portkeep file found" >&2; exit 1; }
exec portkeep check "$@"
