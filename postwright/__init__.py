"""postwright: a brand's social media as code."""

__version__ = "0.1.0"
