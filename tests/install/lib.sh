# Shared by the install tests (sourced; $name names the test in messages).
#   fail MSG...          print "$name: FAIL: MSG" and exit 1
#   until_ok SECS CMD... run CMD until it succeeds, for at most SECS seconds
fail() {
	echo "$name: FAIL: $*" >&2
	exit 1
}
until_ok() {
	end=$(($(date +%s) + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
