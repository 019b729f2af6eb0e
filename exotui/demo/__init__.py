"""The embedded demo cloud: OpenStack APIs and SSH endpoints on 127.0.0.1 (see exotui.demo.app)."""
