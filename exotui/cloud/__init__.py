"""Everything that talks to OpenStack (no Textual below here)."""
