#!/bin/sh
# Crashes: kills itself with SIGSEGV (no core file).
ulimit -c 0
echo "about to crash"
kill -SEGV $$
