"""The live catalogue, read: its objects (for differences), the blast radius of a cascade, and a
read-only transaction with timeouts for every query here that runs outside a migration."""

from wizard.catalog.objects import diff, snapshot
from wizard.catalog.readonly import read_only

__all__ = ["diff", "read_only", "snapshot"]
