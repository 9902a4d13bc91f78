"""Live runs: worker threads that train, the run manager, history and the fan-out hub. No HTTP here."""
