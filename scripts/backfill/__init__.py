"""Backfill of historical Jira issues, projects and users into the webhook endpoint.

The entry point is ``scripts/backfill_history.py``; ``cli.main`` does the work.
"""
