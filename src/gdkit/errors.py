"""The one exception the command turns into a one-line message and exit status 2."""


class GdkitError(Exception):
    """A problem with the user's input (arguments, files, assignments), not a bug in the kit.

    The message must say what is wrong and what to do, on one line.
    """
