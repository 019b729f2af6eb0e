"""SSH client side: connections, host keys, terminal emulation."""
