"""Running simulations from the designer: run panel, worker process, compare, chaos and calibration.

Import stays light (no Qt) so the spawned worker process can import ``designer.runs.worker`` cheaply;
the window imports ``designer.runs.session.RunSession`` itself.
"""
