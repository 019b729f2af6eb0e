"""exotui: a terminal dashboard for OpenStack research clouds."""

__version__ = "0.1.0"
