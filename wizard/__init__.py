"""migration-wizard's engine: runbook, steps, journal and exports. Never imports Textual."""

__version__ = "0.1.0"
