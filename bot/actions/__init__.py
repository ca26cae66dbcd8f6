"""Custom actions: thin adapters between Rasa and the ``govservice`` back office."""

from bot.actions.backoffice import start_warm_up

start_warm_up()
