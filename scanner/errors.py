"""One base exception per seam. Expected trouble (a bad file, a denied call) is a
Diagnostic, not an exception; these are for what a stage cannot recover from."""


class TmscanError(Exception):
    """Base of every error tmscan raises on purpose."""


class CatalogueError(TmscanError):
    """The packaged technology catalogue is malformed (a packaging bug)."""


class CollectorError(TmscanError):
    """A collector cannot read its source at all (messages start with the file or call)."""


class RuleError(TmscanError):
    """A rule's metadata is invalid (unknown control, bad STRIDE letter, duplicate id)."""


class ReportError(TmscanError):
    """A report cannot be produced or written."""
