"""Slack: the Web API client the notifier calls (with pacing and retries) and the
endpoints Slack calls (events, slash commands, interactivity)."""
