"""The scheduler's parts: when things are due (digests, announcements), the lock that
keeps one scheduler active, the jobs APScheduler runs, and the process's life.

``mailer/scheduling/schedule.py`` wires them into APScheduler; ``mailer scheduler`` runs it.
"""
