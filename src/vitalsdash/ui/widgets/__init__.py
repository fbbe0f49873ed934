"""Widgets more than one page uses: numerics, trends, tiles, the alarm banner, the pump."""
