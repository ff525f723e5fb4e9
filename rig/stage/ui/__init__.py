"""rig.stage.ui: `rig live`'s terminal UI (textual). Talks to the engine only via
`rig.control`.
"""
