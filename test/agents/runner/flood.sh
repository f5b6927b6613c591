#!/bin/sh
# Prints about 40 KiB (far more than the runner keeps), then a last line the tail must contain.
i=0
while [ "$i" -lt 1000 ]; do
  echo "line $i of filler text to overflow the bounded tail"
  i=$((i + 1))
done
echo "THE-END"
