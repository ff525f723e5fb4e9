"""A capture's rows and JACK frames stay exact across the cycles it missed."""

from __future__ import annotations

import numpy as np

from rig.probe.capture import Take


def test_rows_and_frames_map_across_a_gap():
    # Rows 0..127 are frames 1000..1127; two cycles (128 frames) missed; rows 128.. are
    # frames 1256.. on.
    take = Take(np.zeros((256, 2), np.float32), 1000, 48000, 1, 1, ((128, 1256),))
    assert [take.frame_at(r) for r in (0, 127, 128, 255)] == [1000, 1127, 1256, 1383]
    assert [take.frame_index(f) for f in (1000, 1127, 1256, 1383)] == [0, 127, 128, 255]
    plain = Take(np.zeros((10, 2), np.float32), 50, 48000, 0, 0)
    assert plain.frame_at(3) == 53 and plain.frame_index(53) == 3
