"""The instructor's class page and a trainee's results (``/class``, ``/results/<id>``,
``/results/me``), over :mod:`vitalsdash.classroom`.

- ``_who``: who is asking (the server's principal; the open demo until logins exist);
- ``code``: the class code card; ``chairs``: chair assignment; ``table``: the class table;
- ``results``: one trainee's sessions and chart; ``downloads``: the CSV routes;
- ``page``: the layouts and the callbacks' work (``pages/classroom.py`` registers them).
"""

from vitalsdash.ui.classroom.downloads import install

__all__ = ["install"]
