"""Results views of a run: the model (no Qt, also used by the worker process), plots and the results dock."""
