"""Custom actions: thin adapters between Rasa and the ``govservice`` back office."""
