#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo of the README's quick start: the fake AirStation on 127.0.0.1:8080
# and portkeep's plan, apply, plan, show against it with conf/demo.yaml.
# Usage: demo.sh PORTKEEP_BINARY SOURCE_DIR
set -eu
portkeep=$1
src=$2
tmp=$(mktemp -d)
fake=
cleanup() {
        [ -n "$fake" ] && kill "$fake" 2>/dev/null && wait "$fake" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The demo's password is the fake's default; git does not keep file modes, so
# make the file private before portkeep warns about it.
chmod 600 "$src/conf/demo-password"

python3 "$src/test/fake-airstation" --port 8080 --port-file "$tmp/port" >"$tmp/fake.log" 2>&1 &
fake=$!
i=0
while [ ! -s "$tmp/port" ]; do
        if ! kill -0 "$fake" 2>/dev/null || [ $i -ge 100 ]; then
                echo "demo: the fake AirStation did not start on 127.0.0.1:8080 (is the port taken?):" >&2
                cat "$tmp/fake.log" >&2
                exit 1
        fi
        i=$((i + 1))
        sleep 0.05
done
echo "A fake AirStation (nosave firmware) listens on 127.0.0.1:8080 with an empty table."

export RUNTIME_DIRECTORY="$tmp/run" no_proxy='*'
run() {
        printf '\n$ portkeep -c conf/demo.yaml %s\n' "$*"
        rc=0
        "$portkeep" -c "$src/conf/demo.yaml" "$@" || rc=$?
        echo "(exit status $rc)"
}
run plan
run apply
run plan
run show
