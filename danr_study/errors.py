"""The study's one error type."""


class StudyError(Exception):
    """The study cannot go on: bad input, a failed subprocess, or conflicting old results."""
