"""The library's exception types: every user-facing error is one line naming the problem and the fix."""


class SpapError(Exception):
    """Base class: a user-facing error whose message says what is wrong and how to fix it."""


class ConfigError(SpapError, ValueError):
    """A bad argument or configuration value (unknown variant, wrong size, bad preset key...)."""


class DataError(SpapError):
    """Missing or malformed data on disk (missing root, wrong layout, corrupt image...)."""
