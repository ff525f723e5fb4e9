#!/usr/bin/env bash
# The main job: install rig (and its Python dependencies) and play the demo set,
# the club night of the Heated Rivalry score.
#
# With outboard synths on their configured ports and/or a JACK server running, the set
# plays live. On a machine with neither (no sound card), rig rehearses offline: every
# track plays on its software stand-in voice and the set is rendered to out/*.wav.
# Extra arguments go to `rig play` (e.g. --config my-rig.yaml).
set -euo pipefail
cd "$(dirname "$0")"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e . >/dev/null
exec rig play songs/sets/heated-rivalry-night.yaml "$@"
