"""`python -m wizard.cli`: the same as the `migration-wizard` command."""

from wizard.cli import main

raise SystemExit(main())
