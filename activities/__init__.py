"""All I/O of a campaign: sending through the platform, recording to the read model."""
