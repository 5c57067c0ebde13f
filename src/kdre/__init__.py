"""kdre: distilling knowledge from well-informed soft labels for neural relation extraction."""

__version__ = "0.1.0"
