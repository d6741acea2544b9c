"""plan -> files: one module per component, jinja2 templates under templates/<component>/."""
