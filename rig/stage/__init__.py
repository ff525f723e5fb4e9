"""rig.stage: what runs beside the engine on stage — the live host, the session file,
MIDI controllers, the file watcher, and the terminal UI (`rig.stage.ui`).
"""
