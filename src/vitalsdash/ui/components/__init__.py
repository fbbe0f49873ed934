"""Layout pieces and their renderers, one job per module."""
