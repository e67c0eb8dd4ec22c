"""Boost's contracts between services: the event envelope, subject names, streams,
the data carried by events, and the commands and queries on the bus.

Every service imports its wire formats from here and nowhere else."""
