#!/bin/sh
# Install the Debian packages named as arguments that are not installed yet.
# An argument "command:package" installs package only when command is missing
# (npm: a machine may have Node.js from elsewhere, whose npm must not be replaced).
# Used by `make deps`; touches nothing when everything is present.
set -eu
missing=""
for p in "$@"; do
	case $p in
	*:*)
		command -v "${p%%:*}" >/dev/null 2>&1 || missing="$missing ${p#*:}"
		continue ;;
	esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
