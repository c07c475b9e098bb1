"""Events in: verifying a webhook request, the event path to the catalog, replay and retention.

`security` checks signatures and URL tokens; `events` parses, translates and records a verified
request; `versions` reads Jira's timestamps (standard library only, shared with the backfill);
`replay` re-runs stored events; `retention` prunes the event log.
"""
