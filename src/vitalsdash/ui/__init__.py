"""The Dash dashboard: app factory, pages, components and browser assets.

This is the only package that imports Dash. It reads the runtime (feed cursors, engine
signals) and sends actions through ``Runtime.submit``; it never holds authoritative state.
"""
