"""What every Boost service shares at run time: settings, clock, database, logging,
HTTP plumbing (problem+json, health, metrics) and session-token verification."""
