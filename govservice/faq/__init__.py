"""The staff-maintained FAQ (常见问题): entries, search, import and export, and unanswered questions."""
