"""The reference deck's DEMO slides, measured on the lab: HA failover and gluster volumes."""
