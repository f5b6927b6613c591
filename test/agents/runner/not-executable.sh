#!/bin/sh
# Deliberately mode 0644: running it must be reported as not-installed.
exit 0
