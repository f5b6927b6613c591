#!/bin/sh
# Hangs and ignores SIGTERM (the ignored disposition is inherited by the grandchild): only SIGKILL ends it.
# Writes "SHELLPID GRANDCHILDPID" to $1.
trap '' TERM
sleep 1000 &
echo "$$ $!" > "$1"
wait
