"""The commune hub on PostgreSQL (issue 12): see README.md in this folder for the API."""
from desktop.hub.conflicts import list_conflicts, resolve_conflict
from desktop.hub.devices import enroll, list_devices, revoke
from desktop.hub.ingest import ingest
from desktop.hub.pull import export_for_device, pull
from desktop.hub.schema import init_hub

__all__ = ["enroll", "export_for_device", "ingest", "init_hub", "list_conflicts", "list_devices", "pull",
           "resolve_conflict", "revoke"]
