#!/bin/sh
# Build and run every fuzz harness tests/fuzz/<name>.c for SECONDS each.
# Usage: sh tests/fuzz/run.sh SECONDS
#
# New inputs go to a fresh scratch corpus (build/fuzz/corpus-<name>), listed
# first because libFuzzer writes into its first corpus directory: the
# committed seeds in tests/fuzz/<name>/ are only read.  Fuzzer output goes to
# build/fuzz/<name>.log; stdout is TAP, one line per harness.

set -u

usage() {
	echo "usage: sh tests/fuzz/run.sh SECONDS" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case $1 in
'' | *[!0-9]*) usage ;;
esac
secs=$1
[ "$secs" -gt 0 ] || usage

cd "$(dirname "$0")/../.." || exit 2

CC=${FUZZ_CC:-clang}
# The modules are compiled once for every harness, with the fuzzer's coverage instrumentation but
# without its main (fuzzer-no-link); each harness is compiled and linked with -fsanitize=fuzzer.
FLAGS="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -g -O1 -pthread -fno-sanitize-recover=undefined -Ilib -Iexports"
CFLAGS="$FLAGS -fsanitize=fuzzer,address,undefined"
LIB_CFLAGS="$FLAGS -fsanitize=fuzzer-no-link,address,undefined"
LIBS="-lfcgi -lsqlite3 -lsodium -lyaml -lunistring -ljson-c -lzip -lcrypto"
out=build/fuzz
obj=$out/obj

rm -rf "$obj" && mkdir -p "$obj" || exit 2
lib_ok=1
for src in lib/*.c exports/*.c; do
	# shellcheck disable=SC2086 # flag lists are meant to split
	$CC $LIB_CFLAGS -c "$src" -o "$obj/$(echo "$src" | tr / -).o" >>"$obj/build.log" 2>&1 || lib_ok=0
done

n=0
failed=0
for src in tests/fuzz/*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	n=$((n + 1))
	bin=$out/$name
	log=$out/$name.log
	corpus=$out/corpus-$name
	seeds=tests/fuzz/$name
	dict=tests/fuzz/$name.dict

	ok=1
	# shellcheck disable=SC2086 # flag lists are meant to split
	if [ "$lib_ok" -eq 0 ]; then
		cp "$obj/build.log" "$log"
		ok=0
	elif ! $CC $CFLAGS "$src" "$obj"/*.o -o "$bin" $LIBS >"$log" 2>&1; then
		ok=0
	else
		rm -rf "$corpus" && mkdir -p "$corpus" || exit 2
		set -- "$corpus"
		[ -d "$seeds" ] && set -- "$@" "$seeds"
		[ -f "$dict" ] && set -- "-dict=$dict" "$@"
		"$bin" -max_total_time="$secs" -artifact_prefix="$out/$name-" "$@" \
		    >>"$log" 2>&1 || ok=0
	fi

	if [ "$ok" -eq 1 ]; then
		echo "ok $n - fuzz $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - fuzz $name"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
done

echo "1..$n"
[ "$n" -gt 0 ] || { echo "# no harnesses in tests/fuzz" >&2; exit 1; }
[ "$failed" -eq 0 ]
