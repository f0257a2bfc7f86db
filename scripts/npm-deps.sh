#!/bin/sh
# Install the npm packages of DIR (its package-lock.json, exactly) when they
# are missing or older than the lock file.  Install scripts are not run: the
# browser tests use Debian's chromium and the machine's Java, nothing downloaded.
set -eu
dir=$1
stamp="$dir/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ ! "$dir/package-lock.json" -nt "$stamp" ]; then
	exit 0
fi
echo "deps: npm ci in $dir"
cd "$dir"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
