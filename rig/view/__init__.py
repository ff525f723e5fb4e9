"""Text pictures of an Arrangement for the terminal (`rig show`)."""

from rig.view.picture import render_picture

__all__ = ["render_picture"]
