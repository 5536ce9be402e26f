"""Services: what the API, the pages, the CLI and the scheduler all call."""
