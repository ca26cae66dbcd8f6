"""Custom actions: thin adapters between Rasa and the ``govservice`` back office."""

from bot.actions.backoffice import start_warm_up
from govservice.log_redaction import install_log_redaction

# The action server logs what it handles; no raw ID number or phone may reach a log line.
install_log_redaction()
start_warm_up()
