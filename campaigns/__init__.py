"""The campaign domain: definition model, statuses and progress. Pure: no I/O, no clocks."""
