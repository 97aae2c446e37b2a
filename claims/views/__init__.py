"""The reading pages, one module per noun."""
