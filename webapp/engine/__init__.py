"""The task engine: registry, run context, run state transitions, events and scheduler."""
