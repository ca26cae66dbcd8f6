"""The example government portal page and its embeddable chat widget (docs/widget.md)."""
