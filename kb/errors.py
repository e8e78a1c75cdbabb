"""Errors whose message is meant for users (the CLI prints it; the app shows it). Messages in Chinese;
command names and flags stay as typed."""


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
        super().__init__(f"索引文件 {path} 无法读取（{reason}）；请运行 `python -m kb build --rebuild` 重建索引")
        self.path = path
