#!/usr/bin/env bash
# The Debian package as a user gets it: scripts/package builds it, lintian finds no error, it
# installs into a scratch root with dpkg, and from there the tool traces a program with the
# library of that root, man renders every page, bash completes, systemd accepts the unit and
# its tmpfiles entry.
# Usage: test_package.sh SOURCE_DIR WORK_DIR TEST_PROGRAMS_DIR
set -euo pipefail
src=$1 work=$2 programs=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work"

deb=$(ACTORSCOPE_PACKAGE_DIR="$work/build" "$src/scripts/package" | tail -n 1)
[ -f "$deb" ] || fail "scripts/package made no package"
echo "built $(basename "$deb")"

# Depends is computed: the tool's and the library's shared libraries, libunwind (dlopen()ed).
depends=$(dpkg-deb -f "$deb" Depends)
for package in libc6 libunwind8 libyajl2; do
  [[ $depends == *"$package"* ]] || fail "Depends lacks $package: $depends"
done
# jansson serves the tests only: the tool writes its JSON itself (report/lib/jsonout.h).
[[ $depends != *libjansson* ]] || fail "Depends names jansson: $depends"

lintian --fail-on error "$deb" 2>&1 | grep -v 'running with root privileges' || true
lintian --fail-on error "$deb" >/dev/null 2>&1 || fail "lintian reports errors"
echo "lintian: no errors"

root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
touch "$root/var/lib/dpkg/status"
# The scratch root has no libc package: its dependencies are the host's.
dpkg --root="$root" --force-depends --log=/dev/null -i "$deb" >/dev/null 2>&1 ||
  fail "dpkg could not install the package into $root"
tool=$root/usr/bin/actorscope
library=$(find "$root/usr/lib" -path '*/actorscope/libactorscope.so')
[ -x "$tool" ] && [ -f "$library" ] || fail "tool or library missing after install"
[[ $library == "$root/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/actorscope/libactorscope.so" ]] ||
  fail "library not in the multiarch directory: $library"

# run finds the installed library by itself: the one in the scratch root, not another.
maps=$(cd "$work" && LD_PRELOAD= "$tool" run -- /bin/cat /proc/self/maps 2>/dev/null)
grep -qF "$library" <<<"$maps" || fail "run did not preload $library"
(cd "$work" && LD_PRELOAD= "$tool" run -o "$work/traced.jsonl" -- "$programs/czmq_pingpong" 5 \
  >/dev/null 2>&1) || [ $? -eq 3 ] || fail "installed run failed"
"$tool" report "$work/traced.jsonl" | grep 'pong_actor' >/dev/null || fail "no pong_actor in the report"
echo "installed run traced czmq_pingpong with $library"

# Man pages: each renders, and holds what its source says.
export MANWIDTH=100
man1=$(man -l "$root/usr/share/man/man1/actorscope.1.gz" 2>/dev/null) || fail "man actorscope(1)"
for text in 'actorscope run' 'actorscope export' 'ACTORSCOPE_INTERVAL_MS' '--max-size'; do
  grep -qF -- "$text" <<<"$man1" || fail "actorscope(1) lacks '$text'"
done
man5=$(man -l "$root/usr/share/man/man5/actorscope-format.5.gz" 2>/dev/null) || fail "man actorscope-format(5)"
grep -qF 'Header line' <<<"$man5" || fail "actorscope-format(5) lacks the header line's section"
echo "man: both pages render"

# Bash completion, loaded as bash-completion loads it.
complete_words() {
  PATH="$root/usr/bin:$PATH" bash -c '
    source /usr/share/bash-completion/bash_completion
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _actorscope; printf "%s\n" "${COMPREPLY[@]}"' _ \
    "$root/usr/share/bash-completion/completions/actorscope" "$@"
}
[ "$(complete_words actorscope re)" = report ] || fail "completion of 're' is not 'report'"
# grep reads all it is given (no -q): under pipefail, a writer cut off by grep's early exit
# (SIGPIPE) would fail the pipeline although the word was there.
complete_words actorscope report --a | grep -x -- '--all' >/dev/null || fail "no --all for report"
[ "$(complete_words actorscope export pe)" = perfetto ] || fail "no perfetto for export"
complete_words actorscope run ACTORSCOPE_INT | grep -x ACTORSCOPE_INTERVAL_MS >/dev/null ||
  fail "no ACTORSCOPE_INTERVAL_MS"
echo "bash completion: commands, options, formats, variables"

# The serve unit and its /run directory. verify checks ExecStart's program, here the one in the
# scratch root; --man=no: the pages are not installed on this host.
unit=$root/lib/systemd/system/actorscope-serve.service
[ -f "$unit" ] || unit=$root/usr/lib/systemd/system/actorscope-serve.service
sed "s|/usr/bin/actorscope|$tool|" "$unit" >"$work/actorscope-serve.service"
systemd-analyze verify --man=no "$work/actorscope-serve.service" || fail "systemd-analyze verify"
! grep -q '^WantedBy' "$root/etc/systemd/system/multi-user.target.wants/"* 2>/dev/null ||
  fail "the unit is enabled by the package"
tmpfiles=$(find "$root" -name actorscope.conf -path '*tmpfiles.d*')
systemd-tmpfiles --root="$root" --create "$tmpfiles" || fail "systemd-tmpfiles"
[ "$(stat -c %a "$root/run/actorscope")" = 1777 ] || fail "/run/actorscope is not mode 1777"
echo "systemd: unit verified, shipped disabled; tmpfiles creates /run/actorscope"
echo "package: 1 passed, 0 failed"
