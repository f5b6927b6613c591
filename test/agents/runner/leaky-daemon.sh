#!/bin/sh
# Exits 0 at once but leaves a background child holding stdout open (a careless init script); its pid goes to $1.
sleep 30 &
echo "$!" > "$1"
echo "started"
exit 0
