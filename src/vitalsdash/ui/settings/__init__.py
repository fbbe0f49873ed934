"""The settings page's parts: the limits table, its live refresh and the change log."""
