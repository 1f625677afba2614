#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo of the README's quick start: the fake AirStation on 127.0.0.1:8080
# and portkeep's plan, apply, plan, show against it with conf/demo.yaml.
# Usage: demo.sh PORTKEEP_BINARY SOURCE_DIR
# $PORTKEEP_DEMO_PORT (tests: 0, a free port) runs it on another port, with a
# copy of conf/demo.yaml that names it.
set -eu
portkeep=$1
src=$2
port=${PORTKEEP_DEMO_PORT:-8080}
config=$src/conf/demo.yaml
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

python3 "$src/test/fake-airstation" --port "$port" --port-file "$tmp/port" >"$tmp/fake.log" 2>&1 &
fake=$!
i=0
while [ ! -s "$tmp/port" ]; do
        if ! kill -0 "$fake" 2>/dev/null || [ $i -ge 100 ]; then
                echo "demo: the fake AirStation did not start on 127.0.0.1:$port (is the port taken?):" >&2
                cat "$tmp/fake.log" >&2
                exit 1
        fi
        i=$((i + 1))
        sleep 0.05
done
if [ "$port" != 8080 ]; then
        port=$(cat "$tmp/port")
        sed "s|127\.0\.0\.1:8080|127.0.0.1:$port|" "$src/conf/demo.yaml" >"$tmp/demo.yaml"
        cp -p "$src/conf/demo-password" "$tmp/demo-password"
        config=$tmp/demo.yaml
fi
echo "A fake AirStation (nosave firmware) listens on 127.0.0.1:$port with an empty table."

export RUNTIME_DIRECTORY="$tmp/run" STATE_DIRECTORY="$tmp/state" no_proxy='*'
run() {
        printf '\n$ portkeep -c conf/demo.yaml %s\n' "$*"
        rc=0
        "$portkeep" -c "$config" "$@" || rc=$?
        case $rc in
        0) echo "(exit status 0: success, or in sync)" ;;
        2) echo "(exit status 2: changes pending)" ;;
        *) echo "(exit status $rc: see the message above)" ;;
        esac
}
run plan
run apply
run plan
run show
echo
echo "The fake AirStation is stopped again. For your own router, see 'Using it' in README.md."
