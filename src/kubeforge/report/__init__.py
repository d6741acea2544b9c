"""plan -> pictures and pages: the network diagram (SVG) and the one-page HTML report."""
