"""One module per `rig <verb>`; each exposes `SUMMARY` and `main(argv) -> int`.

Exit codes everywhere: 0 ok, 1 bad input (songs, config, devices), 2 usage,
3 a needed runtime (JACK server, MIDI port, audio) is not available.
"""

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3

__all__ = ["EXIT_OK", "EXIT_BAD_INPUT", "EXIT_USAGE", "EXIT_UNAVAILABLE"]
