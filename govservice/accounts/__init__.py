"""Staff accounts (工作人员): officers, their login lockout and the demo accounts."""
