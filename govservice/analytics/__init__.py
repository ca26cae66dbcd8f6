"""Analytics for the staff console's dashboard: the event feeder and the aggregate queries."""
