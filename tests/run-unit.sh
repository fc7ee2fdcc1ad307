#!/bin/sh
# Runs each unit test binary; fails if any fails. cmocka prints its own summary per suite.
status=0
for t in "$@"; do
	"$t" || status=1
done
exit $status
