"""The Textual face of migration-wizard. Imports `wizard`; `wizard` never imports this package."""
