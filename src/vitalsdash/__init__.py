"""vitalsdash: a training and demo monitor for ketamine infusion sessions.

Training tool, not a medical device.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
