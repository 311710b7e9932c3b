"""tmscan core: the model, graph, pipeline, passes, reporters and CLI."""

__version__ = "0.1.0"
