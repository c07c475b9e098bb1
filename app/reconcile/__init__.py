"""Keeping the catalog complete without webhooks: passes that read Jira and repair what the catalog
lacks (`run`), the record of each pass (`passes`), the catalog's side of the comparison (`catalog`),
the lock that lets one pass run at a time across processes and instances (`lock`), and the worker's
schedule (`schedule`)."""
