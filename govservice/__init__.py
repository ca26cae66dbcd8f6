"""Back office of the 一号一窗一网 assistant: catalog, identity, certificates, applications.

Plain Python and SQLAlchemy only; nothing here imports Rasa, so the action server,
the staff console and the tests share the same code.
"""
