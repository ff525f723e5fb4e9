"""rig.control: the OSC contract the engine and its controllers both import, and the
controllers' client end. Nothing else.
"""
