"""The one error type for bad user input: a one-line message naming where the problem is."""


class DesignError(ValueError):
    """Invalid design, workload, parameter or command-line value.

    The message is one line and starts with the path of the offending value, e.g.
    ``nodes[3].params.replicas: must be an integer ≥ 1, got "two"``.
    """

    def __init__(self, message: str, path: str = "") -> None:
        self.path = path
        text = f"{path}: {message}" if path else message
        super().__init__(" ".join(text.split()))
