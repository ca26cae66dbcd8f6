"""Personal data: export, deletion, retention, and redaction of log lines."""
