"""PDF engine (notices, decisions, the annual report). No Qt, no import of ``desktop``."""
