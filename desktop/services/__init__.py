"""The application layer: use cases shared by the GUI, the command line and the coming hub.

No Qt and no argparse here. Everything starts from ``open_commune(path)``, which gives a
``Commune``: the store, the catalogue with the commune's own ``catalogue.d`` extension, and the
acting user once logged in. The GUI, every CLI command and the demo builder open communes the
same way, so they see the same catalogue and the same rules.
"""
