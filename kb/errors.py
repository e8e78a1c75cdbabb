"""Errors whose message is meant for users (the CLI prints it; the app shows it)."""


class KBError(Exception):
    exit_code = 1


class QueryError(KBError):
    """Bad user input: empty query, unknown filter value."""

    exit_code = 2


class FilterError(QueryError):
    pass


class IndexCorrupt(KBError):
    """A saved index file that cannot be read; the message names it and the fix."""

    def __init__(self, path, reason: str):
        super().__init__(f"the index file {path} is unreadable ({reason}); run `python -m kb build --rebuild` to rebuild it")
        self.path = path
