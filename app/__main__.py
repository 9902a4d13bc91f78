"""`python -m app` is the `gradcast` command."""

from app.cli import main

raise SystemExit(main())
