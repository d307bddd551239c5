"""The Qt interface. Every PySide6 import of the application lives in this package."""
