"""Talking to Jira over REST: the client (`client`: Cloud or Server/Data Center, paging, the user's
time zone), the slices of an issue query paged side by side (`slices`), requests with retries (`retry`)
and fewer of them in flight near Jira's rate limit (`pace`), and the rule that keeps a prune from
emptying the catalog (`prune`). Imports no more of the app than its errors, so the backfill script
shares it without loading the web app."""
