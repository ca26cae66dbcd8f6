"""Notifications of application status changes, sent on the channel the citizen used."""
