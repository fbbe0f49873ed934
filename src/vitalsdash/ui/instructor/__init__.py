"""The instructor console's parts: live strip, hidden truth, events, controls, activity."""
