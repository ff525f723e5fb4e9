"""Voice files (`patches/voices/*.yaml`) → `VoiceSpec`s, every mistake as file:line:col.

The rooms: `voice` (the files and their top-level keys), `synth` (oscillators,
filter, envelopes, LFOs, effects), `lanes` (a drums voice's lanes), `fields` (the
reader's base: numbers, choices, params and programs). Import from here.
"""

from rig.dsp.loader.voice import MAX_VOICES, load_voice, load_voices, voice_names

__all__ = ["load_voice", "load_voices", "voice_names", "MAX_VOICES"]
