#!/bin/sh
# Checks the Debian packages workshopbot needs to build and test; installs the missing
# ones when run as root, otherwise prints the one apt-get line to run and fails.
set -eu

PACKAGES="gcc clang make pkg-config libuv1-dev libjansson-dev libsqlite3-dev \
libcurl4-openssl-dev libwebsockets-dev libwebsockets-evlib-uv libssl-dev libcmocka-dev \
libclang-rt-14-dev tzdata sqlite3 jq curl"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "workshopbot needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
