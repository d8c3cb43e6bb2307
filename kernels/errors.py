"""The one error type for bad input inside the kernels layer (the CLI maps it to exit 2)."""


class InputError(ValueError):
    """Bad argument, unknown id or unreadable profile; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))
