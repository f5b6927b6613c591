#!/bin/sh
# Prints one line on stdout and one on stderr, then exits with the code given as $1.
echo "to stdout"
echo "to stderr" >&2
exit "$1"
