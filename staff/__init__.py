"""The staff web app (工作人员端): the department JSON API now, the staff console later.

``python -m staff`` serves it on ``STAFF_PORT`` (default 5080); see :func:`staff.app.create_app`.
"""
