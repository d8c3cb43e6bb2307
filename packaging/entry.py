"""Frozen entry point of the packaged app: the `genai-sim` console script (CLI, or the designer with no command)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Runs and calibration use "spawn" worker processes; in a frozen app a child must stop here.
    multiprocessing.freeze_support()
    from genai_sim.cli import main

    sys.exit(main())
