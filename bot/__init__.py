"""The Rasa assistant: domain, NLU data, stories and custom actions."""
