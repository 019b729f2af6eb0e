"""The widgets screens are made of: the resource views, their table, the terminal."""
