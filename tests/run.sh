#!/usr/bin/env bash
# The whole test suite on a fresh Debian-like machine, as root:
# installs JACK, fluidsynth (+ a GM soundfont) and jack_capture from Debian,
# the project with its test extras from PyPI, then runs every test.
# The JACK dummy servers the tests need are started (under private names)
# and stopped by the pytest fixtures themselves.
set -uo pipefail
cd "$(dirname "$0")/.."

debs="jackd2 fluidsynth timgm6mb-soundfont jack-capture tmux iproute2"
missing=""
for deb in $debs; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing="$missing $deb"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "tests/run.sh: needs root to install:$missing" >&2
        exit 2
    fi
    apt-get update -qq || exit 2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing || exit 2
fi

python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e '.[test,link]' || exit 2

python3 -m ruff check rig tests || exit 1
python3 -m mypy || exit 1  # the pure core: rig.theory, rig.song, rig.source
# Every test runs once. Frame-exact JACK scenarios play in JACK freewheel (no deadlines,
# no xruns: the engine's clock is JACK's frame counter); real-time ones assert robustness.
# A private temp root: pytest keeps only the newest three of its shared
# /tmp/pytest-of-USER/pytest-N folders, so another pytest run on the machine could
# delete a running test's files (a song mid hot-reload, a capture) under it.
base=$(mktemp -d "${TMPDIR:-/tmp}/rig-tests-XXXXXX")
trap 'rm -rf "$base"' EXIT
# Bytecode (and pytest's rewritten test modules) cached under that root for the run:
# compiled once, not again in each of the ~150 engine, host, UI and recorder processes
# the JACK tests start, nor at each collection (measured: collecting the JACK part
# 9.3 s -> 5.3 s; an engine process ready in 0.5 s instead of 0.7 s). Nothing is
# written into the tree, as with PYTHONDONTWRITEBYTECODE, which is lifted for the run.
export PYTHONPYCACHEPREFIX="$base/pycache"
unset PYTHONDONTWRITEBYTECODE
python3 -m pytest -m "not jack" --basetemp="$base/fast" "$@"
# The JACK part imports only the test files that say `mark.jack` (tests/conftest.py;
# measured at load 4: its collection 16.7 s -> 5.8 s, the same 78 tests).
# Two workers, one test file each at a time, each with a JACK server of its own (the
# conftest's slot pool): the part is mostly waiting (real-time music, process
# start-ups), so the two overlap; measured with one core kept busy, 6 min 49 s serial
# against 4 min 12 s (README, "Tests"). Frame-exact scenarios run in freewheel on their
# worker's own server, so the other worker cannot move a frame.
rc=$?
if [ "$rc" = 0 ]; then
    python3 -m pytest -m jack -n 2 --dist loadfile --basetemp="$base/jack" "$@"
    rc=$?
fi
if [ "$rc" = 5 ]; then
    echo "tests/run.sh: pytest collected no tests" >&2
    exit 1
fi
exit "$rc"
