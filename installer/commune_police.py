"""Entry point of the packaged application (PyInstaller); the same as the console script."""
from desktop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
