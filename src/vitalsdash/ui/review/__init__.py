"""The review page's parts: the session list, its data, figure, metrics and downloads."""
