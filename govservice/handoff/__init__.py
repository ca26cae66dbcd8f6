"""Human handoff (转人工): the agents' queue and the hours when agents are on duty."""
