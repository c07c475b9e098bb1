"""Talking to Jira over REST: the client (`client`: Cloud or Server/Data Center, paging, the user's
time zone), requests with retries (`retry`) and the rule that keeps a prune from emptying the catalog
(`prune`). Imports no more of the app than its errors, so the backfill script shares it without
loading the web app."""
