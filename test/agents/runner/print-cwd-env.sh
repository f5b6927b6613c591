#!/bin/sh
# Prints the working directory and the variables the runner test sets.
echo "cwd=$(pwd)"
echo "greeting=${GREETING-unset}"
echo "home=${HOME-unset}"
