"""rig.engine: the engine process — transport, per-cycle loop, dispatch, sinks wiring.

Everything here runs in the engine process (spawned by `rig.engine.process`); the
stage talks to it only through `rig.control`.
"""
