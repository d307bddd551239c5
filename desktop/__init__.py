"""commune-police: the administrative police desk of a Moroccan commune."""

__version__ = "0.1.0"
