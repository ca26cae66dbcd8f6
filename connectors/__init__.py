"""Rasa input channels: a hardened REST webhook, and (later) WeChat."""
