#!/bin/sh
# Hangs: forks a grandchild that sleeps forever holding stdout, writes "SHELLPID GRANDCHILDPID" to $1, and waits.
sleep 1000 &
echo "$$ $!" > "$1"
echo "hanging"
wait
