"""vitalsim: the virtual patient and session simulator behind vitalsdash (training use only)."""
