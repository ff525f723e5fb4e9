"""`python -m tests.song.golden`: rewrite digests.json (only for a deliberate change)."""

from tests.song.golden import main

main()
