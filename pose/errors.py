"""Errors a user can act on. The CLI prints their message on one line and exits with code 2."""


class StretchCheckError(Exception):
    """Base class: the message is a complete sentence a user can act on."""


class VideoError(StretchCheckError):
    """A file that cannot be read as video, or a camera that stopped."""


class ModelError(StretchCheckError):
    """The pose model is missing, damaged or cannot be loaded."""


class RoutineError(StretchCheckError):
    """A routine or stretch definition with a mistake in it."""


class StoreError(StretchCheckError):
    """The session store cannot be opened or has no such session."""
