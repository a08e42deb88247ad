"""twin: build your own digital twin on hardware you own."""

__version__ = "0.1.0"
